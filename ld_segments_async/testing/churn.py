"""Listings that change while they are walked: segments (or environments) created and
deleted between list requests, as other people do while a bulk script pages through."""

from __future__ import annotations

import random
from collections.abc import Container
from dataclasses import dataclass, field

from .store import Store


@dataclass
class Churn:
    """Changes the fake makes to a collection between the list requests of a walk.

    Set it on :attr:`FakeLaunchDarkly.churn`; before every ``every``-th list request
    after the first (of segments, or of environments), the fake creates ``create`` and
    deletes ``delete`` items of the collection being listed, ``times`` times at most.

    Created segments get a random name (so that they land anywhere under
    ``sort=name``), the current time as ``creationDate`` (the end of an ascending
    ``creationDate`` order, the start of a descending one) and keys ``churn-<n>``.
    Deleted items are picked at random (``pick="random"``), or the first or last ones in
    the collection's creation order (``"first"``, ``"last"``); big segments with an
    import running are left alone.

    Attributes:
        created: keys created, in order.
        deleted: keys deleted, in order.
        list_requests: list requests seen so far.
    """

    every: int = 1
    create: int = 0
    delete: int = 0
    times: int | None = None
    pick: str = "random"
    seed: int = 0
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    list_requests: int = 0
    _applied: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.every < 1 or self.create < 0 or self.delete < 0:
            raise ValueError("every must be at least 1; create and delete not negative")
        if self.pick not in ("random", "first", "last"):
            raise ValueError(f"pick must be 'random', 'first' or 'last', got {self.pick!r}")
        self._rng = random.Random(self.seed)  # noqa: S311 - reproducible, not secret

    @property
    def changes(self) -> int:
        """Items created plus items deleted so far."""
        return len(self.created) + len(self.deleted)

    def before_list(self, store: Store, project_key: str, environment_key: str | None) -> None:
        """Called by the fake before it answers a list request of that collection."""
        self.list_requests += 1
        due = self.list_requests > 1 and (self.list_requests - 1) % self.every == 0
        if not due or (self.times is not None and self._applied >= self.times):
            return
        self._applied += 1
        if project_key not in store.projects:
            return
        if environment_key is None:
            self._change_environments(store, project_key)
        elif environment_key in store.projects[project_key].environments:
            self._change_segments(store, project_key, environment_key)

    def _change_segments(self, store: Store, project_key: str, environment_key: str) -> None:
        environment = store.environment(project_key, environment_key)
        idle = [key for key in environment.segments if not environment.import_in_progress(key)]
        for key in self._victims(idle):
            del environment.segments[key]
            self.deleted.append(key)
        for _ in range(self.create):
            key = self._new_key(environment.segments)
            store.create_segment(project_key, environment_key, {"key": key, "name": self._name()})
            self.created.append(key)

    def _change_environments(self, store: Store, project_key: str) -> None:
        environments = store.projects[project_key].environments
        for key in self._victims(list(environments)):
            del environments[key]
            self.deleted.append(key)
        for _ in range(self.create):
            key = self._new_key(environments)
            store.add_environment(project_key, key, name=self._name())
            self.created.append(key)

    def _victims(self, keys: list[str]) -> list[str]:
        count = min(self.delete, len(keys))
        if self.pick == "first":
            return keys[:count]
        if self.pick == "last":
            return keys[len(keys) - count :]
        return self._rng.sample(keys, count)

    def _new_key(self, taken: Container[str]) -> str:
        number = len(self.created)
        while f"churn-{number}" in taken:
            number += 1
        return f"churn-{number}"

    def _name(self) -> str:
        return "".join(self._rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=10))
