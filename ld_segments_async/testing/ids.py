"""Identifiers and timestamps of the fake's resources."""

from __future__ import annotations

import random
import time
import uuid


def now_ms() -> int:
    """Epoch milliseconds, LaunchDarkly's timestamp unit."""
    return int(time.time() * 1000)


class IdSource:
    """Seeded ids, so that two runs with one seed name their resources alike."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - reproducible, not secret

    def uuid(self) -> str:
        """A version-4 UUID string."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex(self, digits: int) -> str:
        """``digits`` lowercase hex digits (LaunchDarkly's ``_id`` style is 24)."""
        return f"{self._rng.getrandbits(4 * digits):0{digits}x}"
