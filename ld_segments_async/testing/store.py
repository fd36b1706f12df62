"""The fake's in-memory account: projects, environments, segments and jobs."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ids import IdSource, now_ms
from .replies import not_found
from .segment import Segment, normalize_rules, validate_document

if TYPE_CHECKING:
    from .jobs import ExportJob, ImportJob

_COMPUTED_FIELDS = ("_links", "_flags", "_unboundedMetadata", "_importInProgress", "_access")
_TARGET_LISTS = ("included", "excluded", "includedContexts", "excludedContexts")


@dataclass
class Environment:
    """One environment of a project; its segments keep insertion order."""

    key: str
    name: str
    id: str
    api_key: str
    mobile_key: str
    created_on: int
    tags: list[str] = field(default_factory=list)
    critical: bool = False
    color: str = "7B42BC"
    segments: dict[str, Segment] = field(default_factory=dict)
    # LaunchDarkly runs one import at a time per environment.
    running_import: ImportJob | None = None

    def import_in_progress(self, segment_key: str) -> bool:
        job = self.running_import
        return job is not None and job.segment_key == segment_key


@dataclass
class Project:
    key: str
    environments: dict[str, Environment] = field(default_factory=dict)


class Store:
    """All state, plus the ``side_effects`` tally of writes that changed it."""

    def __init__(self, seed: int) -> None:
        self.ids = IdSource(seed)
        self.projects: dict[str, Project] = {}
        self.imports: dict[str, ImportJob] = {}
        self.exports: dict[str, ExportJob] = {}
        self.side_effects: Counter[str] = Counter()

    def add_project(self, key: str) -> Project:
        return self.projects.setdefault(key, Project(key))

    def add_environment(
        self,
        project_key: str,
        key: str,
        *,
        name: str | None = None,
        tags: list[str] | None = None,
        critical: bool = False,
    ) -> Environment:
        project = self.add_project(project_key)
        if key not in project.environments:
            project.environments[key] = Environment(
                key=key,
                name=name or key.replace("-", " ").title(),
                id=self.ids.hex(24),
                api_key=f"sdk-{self.ids.uuid()}",
                mobile_key=f"mob-{self.ids.uuid()}",
                created_on=now_ms(),
                tags=list(tags or []),
                critical=critical,
            )
        return project.environments[key]

    def project(self, project_key: str) -> Project:
        """Raises: ApiError 404 for an unknown project."""
        try:
            return self.projects[project_key]
        except KeyError:
            raise not_found(f"Unknown project {project_key!r}") from None

    def environment(self, project_key: str, environment_key: str) -> Environment:
        """Raises: ApiError 404 for an unknown project or environment."""
        try:
            return self.project(project_key).environments[environment_key]
        except KeyError:
            raise not_found(f"Unknown environment {environment_key!r}") from None

    def segment(self, project_key: str, environment_key: str, segment_key: str) -> Segment:
        """Raises: ApiError 404 for an unknown project, environment or segment."""
        try:
            return self.environment(project_key, environment_key).segments[segment_key]
        except KeyError:
            raise not_found(f"Unknown segment {segment_key!r}") from None

    def create_segment(
        self, project_key: str, environment_key: str, fields: dict[str, Any]
    ) -> Segment:
        """Store a new segment built from ``UserSegment`` JSON fields.

        ``key`` and ``name`` are required; everything else has LaunchDarkly's defaults.
        A big segment's ``included``/``excluded`` keys go to its member sets; an optional
        ``salt`` (not part of the JSON) seeds rollout bucketing.

        Raises:
            ApiError: 404 for an unknown project or environment.
            ValueError: for invalid fields or a key already in use.
        """
        environment = self.environment(project_key, environment_key)
        # Member lists hold only strings: a shallow copy is enough and fast for millions.
        fields = {
            name: list(value) if _is_member_list(name, value) else copy.deepcopy(value)
            for name, value in fields.items()
        }
        salt = fields.pop("salt", None)
        key = fields.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError("A segment key must be a non-empty string")
        if key in environment.segments:
            raise ValueError(f"Segment {key!r} already exists")
        now = now_ms()
        doc: dict[str, Any] = {
            "name": None,
            "tags": [],
            "creationDate": now,
            "lastModifiedDate": now,
            **{name: [] for name in _TARGET_LISTS},
            "key": key,
            "rules": [],
            "version": 1,
            "deleted": False,
            "generation": 1,
            "unbounded": False,
        }
        doc.update((k, v) for k, v in fields.items() if k not in _COMPUTED_FIELDS)
        members: dict[str, Any] = {}
        if doc["unbounded"] is True:
            members = {name: doc.pop(name, None) or [] for name in _TARGET_LISTS}
            doc.setdefault("unboundedContextKind", "user")
            if members.pop("includedContexts") or members.pop("excludedContexts"):
                raise ValueError("A big segment takes its members as included/excluded keys")
            if not all(_is_member_list(name, keys) for name, keys in members.items()):
                raise ValueError("Big segment members must be lists of strings")
        if doc.get("description") is None:
            doc.pop("description", None)
        normalize_rules(doc["rules"], self.ids.uuid)
        problem = validate_document(doc)
        if problem:
            raise ValueError(problem)
        segment = Segment(
            project_key,
            environment_key,
            doc,
            segment_id=self.ids.hex(24),
            environment_id=environment.id,
            salt=salt,
        )
        segment.big_included = set(members.get("included", ()))
        segment.big_excluded = set(members.get("excluded", ()))
        environment.segments[key] = segment
        return segment


def _is_member_list(name: str, value: Any) -> bool:
    return (
        name in ("included", "excluded")
        and isinstance(value, list)
        and all(isinstance(key, str) for key in value)
    )
