"""One segment: its stored JSON fields, big-segment member sets and expiring targets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .paths import encode_segment

# Fields a JSON (merge) patch may change. Everything else is managed by the server:
# the identity (``key``), the history (``creationDate``, ``version``,
# ``lastModifiedDate``, ``generation``, ``deleted``), the kind of segment (``unbounded``,
# ``unboundedContextKind``) and every ``_``-prefixed field.
EDITABLE_FIELDS = (
    "name",
    "description",
    "tags",
    "included",
    "excluded",
    "includedContexts",
    "excludedContexts",
    "rules",
)
_TARGET_LISTS = ("included", "excluded", "includedContexts", "excludedContexts")
_KNOWN_FIELDS = frozenset(
    {
        *EDITABLE_FIELDS,
        "key",
        "creationDate",
        "lastModifiedDate",
        "version",
        "deleted",
        "generation",
        "unbounded",
        "unboundedContextKind",
    }
)
CLAUSE_OPS = frozenset(
    {
        "in",
        "endsWith",
        "startsWith",
        "matches",
        "contains",
        "lessThan",
        "lessThanOrEqual",
        "greaterThan",
        "greaterThanOrEqual",
        "before",
        "after",
        "segmentMatch",
        "semVerEqual",
        "semVerLessThan",
        "semVerGreaterThan",
    }
)
MAX_WEIGHT = 100_000


@dataclass
class ExpiringEntry:
    """A scheduled removal of one individual target."""

    id: str
    version: int
    expiration_date: int


class Segment:
    """A stored segment.

    ``doc`` holds the JSON fields as LaunchDarkly returns them, minus the computed ones
    (``_links``, ``_flags``, ``_unboundedMetadata``, ``_importInProgress``). A big segment
    keeps its members in ``big_included`` / ``big_excluded`` instead of ``doc``.
    """

    __slots__ = (
        "big_excluded",
        "big_included",
        "doc",
        "environment_id",
        "environment_key",
        "expiring",
        "project_key",
        "salt",
        "segment_id",
    )

    def __init__(
        self,
        project_key: str,
        environment_key: str,
        doc: dict[str, Any],
        *,
        segment_id: str,
        environment_id: str,
        salt: str | None = None,
    ) -> None:
        self.project_key = project_key
        self.environment_key = environment_key
        self.doc = doc
        self.segment_id = segment_id
        self.environment_id = environment_id
        self.salt = salt or doc["key"]
        self.big_included: set[str] = set()
        self.big_excluded: set[str] = set()
        self.expiring: dict[tuple[str, str, str], ExpiringEntry] = {}

    @property
    def key(self) -> str:
        return str(self.doc["key"])

    @property
    def unbounded(self) -> bool:
        return bool(self.doc.get("unbounded"))

    @property
    def context_kind(self) -> str:
        """The one context kind a big segment targets."""
        return str(self.doc.get("unboundedContextKind") or "user")

    def href(self) -> str:
        return f"{self.parent_href()}/{encode_segment(self.key)}"

    def parent_href(self) -> str:
        return collection_href(self.project_key, self.environment_key)

    def render(self, *, import_in_progress: bool = False, flags: bool = False) -> dict[str, Any]:
        """The ``UserSegment`` JSON; shares lists with ``doc``, so encode it right away."""
        out = dict(self.doc)
        out["_links"] = {
            "parent": {"href": self.parent_href(), "type": "application/json"},
            "self": {"href": self.href(), "type": "application/json"},
        }
        if self.unbounded:
            out["_unboundedMetadata"] = {
                "envId": self.environment_id,
                "segmentId": self.segment_id,
                "version": self.doc["version"],
                "includedCount": len(self.big_included),
                "excludedCount": len(self.big_excluded),
                "lastModified": self.doc["lastModifiedDate"],
                "deleted": self.doc["deleted"],
            }
            out["_importInProgress"] = import_in_progress
        if flags:
            out["_flags"] = []
        return out

    def with_doc(self, doc: dict[str, Any]) -> Segment:
        """A view of this segment with another ``doc`` (same members), for previews."""
        view = Segment(
            self.project_key,
            self.environment_key,
            doc,
            segment_id=self.segment_id,
            environment_id=self.environment_id,
            salt=self.salt,
        )
        view.big_included, view.big_excluded = self.big_included, self.big_excluded
        view.expiring = self.expiring
        return view

    def has_target(self, target_type: str, context_kind: str, key: str) -> bool:
        """Whether ``key`` of ``context_kind`` is an individual target of that type."""
        if self.unbounded:
            members = self.big_included if target_type == "included" else self.big_excluded
            return context_kind == self.context_kind and key in members
        return doc_has_target(self.doc, target_type, context_kind, key)

    def prune_expiring(self) -> None:
        """Forget scheduled removals of targets that are no longer targets."""
        stale = [ref for ref in self.expiring if not self.has_target(*ref)]
        for ref in stale:
            del self.expiring[ref]


def collection_href(project_key: str, environment_key: str) -> str:
    """The relative href of an environment's segment list."""
    return f"/api/v2/segments/{encode_segment(project_key)}/{encode_segment(environment_key)}"


def doc_has_target(doc: dict[str, Any], target_type: str, context_kind: str, key: str) -> bool:
    """Whether a standard segment's ``doc`` lists ``key`` of ``context_kind`` as a target.

    User keys may sit in the legacy ``included``/``excluded`` lists or in the
    ``...Contexts`` entries of kind ``user``.
    """
    if context_kind == "user" and key in doc.get(target_type, ()):
        return True
    return any(
        entry.get("contextKind") == context_kind and key in entry.get("values", ())
        for entry in doc.get(f"{target_type}Contexts", ())
    )


def normalize_rules(rules: Any, new_id: Callable[[], str]) -> None:
    """Fill in what LaunchDarkly fills in on write: ``_id``s and ``negate: false``.

    Anything that is not a list of rule objects is left for validation to reject.
    """
    for rule in rules if isinstance(rules, list) else ():
        if isinstance(rule, dict):
            rule.setdefault("_id", new_id())
            for clause in rule.get("clauses") or ():
                if isinstance(clause, dict):
                    clause.setdefault("_id", new_id())
                    clause.setdefault("negate", False)


def validate_document(doc: dict[str, Any]) -> str | None:
    """Why ``doc`` is not a valid stored segment, or ``None`` when it is."""
    unknown = sorted(k for k in doc if k not in _KNOWN_FIELDS and not k.startswith("_"))
    if unknown:
        return f"Unknown segment fields: {', '.join(unknown)}"
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        return "Segment name must be a non-empty string"
    if doc.get("description") is not None and not isinstance(doc["description"], str):
        return "Segment description must be a string"
    if not isinstance(doc.get("unbounded", False), bool):
        return "Segment unbounded must be a boolean"
    if not _is_str_list(doc.get("tags")):
        return "Segment tags must be a list of strings"
    problem = _target_lists_problem(doc)
    if problem:
        return problem
    rules = doc.get("rules")
    if not isinstance(rules, list):
        return "Segment rules must be a list"
    for index, rule in enumerate(rules):
        problem = rule_problem(rule)
        if problem:
            return f"Rule {index}: {problem}"
    return None


def _target_lists_problem(doc: dict[str, Any]) -> str | None:
    if doc.get("unbounded"):
        if any(doc.get(name) for name in _TARGET_LISTS):
            return "Big segment targets are managed through imports and the contexts route"
        return None
    for name in ("included", "excluded"):
        if name in doc and not _is_str_list(doc[name]):
            return f"Segment {name} must be a list of strings"
    for name in ("includedContexts", "excludedContexts"):
        targets = doc.get(name, [])
        if not isinstance(targets, list) or not all(
            isinstance(t, dict)
            and isinstance(t.get("contextKind"), str)
            and _is_str_list(t.get("values"))
            for t in targets
        ):
            return f"Segment {name} must be a list of {{contextKind, values}}"
    return None


def rule_problem(rule: Any) -> str | None:
    """Why ``rule`` is not a valid ``UserSegmentRule``, or ``None``."""
    if not isinstance(rule, dict):
        return "must be an object"
    clauses = rule.get("clauses")
    if not isinstance(clauses, list):
        return "clauses must be a list"
    for index, clause in enumerate(clauses):
        problem = clause_problem(clause)
        if problem:
            return f"clause {index}: {problem}"
    weight = rule.get("weight")
    if weight is not None and not (_is_int(weight) and 0 <= weight <= MAX_WEIGHT):
        return f"weight must be an integer from 0 to {MAX_WEIGHT}"
    for name in ("_id", "rolloutContextKind", "bucketBy", "description"):
        if rule.get(name) is not None and not isinstance(rule[name], str):
            return f"{name} must be a string"
    return None


def clause_problem(clause: Any) -> str | None:
    """Why ``clause`` is not a valid ``Clause``, or ``None``."""
    if not isinstance(clause, dict):
        return "must be an object"
    if not isinstance(clause.get("attribute"), str) or not clause["attribute"]:
        return "attribute must be a non-empty string"
    if clause.get("op") not in CLAUSE_OPS:
        return f"unknown op {clause.get('op')!r}"
    if not isinstance(clause.get("values"), list):
        return "values must be a list"
    if not isinstance(clause.get("negate", False), bool):
        return "negate must be a boolean"
    for name in ("_id", "contextKind"):
        if clause.get(name) is not None and not isinstance(clause[name], str):
            return f"{name} must be a string"
    return None


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
