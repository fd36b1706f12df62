"""Pending changes to a big segment's member sets, applied all at once or not at all."""

from __future__ import annotations

from collections.abc import Iterable

from .segment import Segment

TARGET_TYPES = ("included", "excluded")


class MemberChanges:
    """Adds and removes on top of a big segment's sets, without copying them."""

    def __init__(self, segment: Segment) -> None:
        self._segment = segment
        self._changes: dict[str, dict[str, bool]] = {name: {} for name in TARGET_TYPES}

    def add(self, target_type: str, keys: Iterable[str]) -> None:
        self._changes[target_type].update(dict.fromkeys(keys, True))

    def remove(self, target_type: str, keys: Iterable[str]) -> None:
        self._changes[target_type].update(dict.fromkeys(keys, False))

    def _base(self, target_type: str) -> set[str]:
        segment = self._segment
        return segment.big_included if target_type == "included" else segment.big_excluded

    def contains(self, target_type: str, key: str) -> bool:
        """Membership once the pending changes are applied."""
        pending = self._changes[target_type].get(key)
        return key in self._base(target_type) if pending is None else pending

    def conflicts(self) -> list[str]:
        """Changed keys that would end up both included and excluded."""
        touched = self._changes["included"].keys() | self._changes["excluded"].keys()
        return sorted(k for k in touched if all(self.contains(t, k) for t in TARGET_TYPES))

    def commit(self) -> bool:
        """Apply the changes; true when a set actually changed."""
        changed = False
        for target_type, changes in self._changes.items():
            base = self._base(target_type)
            added = {k for k, present in changes.items() if present and k not in base}
            removed = {k for k, present in changes.items() if not present and k in base}
            base |= added
            base -= removed
            changed = changed or bool(added or removed)
        return changed
