"""Decode every successful JSON response of a fake with a strict converter.

The production converter keeps unknown keys in ``extra``; the strict twin refuses them,
so a field the server sends that the models do not declare fails the suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cattrs import Converter

from ld_segments_async import models

SEGMENTS = "/api/v2/segments/{projectKey}/{environmentKey}"
SEGMENT = SEGMENTS + "/{segmentKey}"

MODELS: dict[tuple[str, str], type] = {
    ("GET", "/api/v2/projects/{projectKey}/environments"): models.Environments,
    (
        "POST",
        "/api/v2/projects/{projectKey}/environments/{environmentKey}/segments/evaluate",
    ): models.ContextInstanceSegmentMemberships,
    ("GET", SEGMENTS): models.UserSegments,
    ("POST", SEGMENTS): models.UserSegment,
    ("GET", SEGMENT): models.UserSegment,
    ("PATCH", SEGMENT): models.UserSegment,
    ("GET", SEGMENT + "/contexts/{contextKey}"): models.BigSegmentTarget,
    ("GET", SEGMENT + "/users/{userKey}"): models.BigSegmentTarget,
    ("GET", SEGMENT + "/imports/{importID}"): models.Import,
    ("GET", SEGMENT + "/exports/{exportID}"): models.Export,
    (
        "GET",
        "/api/v2/segments/{projectKey}/{segmentKey}/expiring-targets/{environmentKey}",
    ): models.ExpiringTargetGetResponse,
    (
        "PATCH",
        "/api/v2/segments/{projectKey}/{segmentKey}/expiring-targets/{environmentKey}",
    ): models.ExpiringTargetPatchResponse,
    (
        "GET",
        "/api/v2/segments/{projectKey}/{segmentKey}/expiring-user-targets/{environmentKey}",
    ): models.ExpiringUserTargetGetResponse,
    (
        "PATCH",
        "/api/v2/segments/{projectKey}/{segmentKey}/expiring-user-targets/{environmentKey}",
    ): models.ExpiringUserTargetPatchResponse,
}


def check_strict_decoding(exchanges: Iterable[Any], converter: Converter) -> int:
    """Decode each 2xx JSON body with ``converter``; return how many were checked."""
    checked = 0
    for exchange in exchanges:
        model = MODELS.get((exchange.method, exchange.route or ""))
        if model is None or not 200 <= exchange.status < 300 or not exchange.response_body:
            continue
        data = json.loads(exchange.response_body)
        try:
            converter.structure(data, model)
        except Exception as error:
            raise AssertionError(
                f"{exchange.method} {exchange.route} -> {exchange.status}: the strict "
                f"converter refused the body as {model.__name__}: {error!r}"
            ) from error
        checked += 1
    return checked
