"""Helpers of the import tests: keys as an async generator, and what the fake received."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import TypeVar

from ld_segments_async.testing import FakeLaunchDarkly

IMPORTS = "/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}/imports"
T = TypeVar("T")


async def agen(items: list[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


def uploaded_keys(fake: FakeLaunchDarkly) -> list[list[str]]:
    """The first CSV column of each import upload the fake received."""
    uploads = []
    for exchange in fake.exchanges:
        if exchange.route == IMPORTS and exchange.method == "POST":
            text = exchange.request_body.decode()
            part = text.split("\r\n\r\n", 1)[1].split("\r\n--", 1)[0]
            uploads.append([row[0] for row in csv.reader(io.StringIO(part)) if row])
    return uploads
