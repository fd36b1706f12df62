"""Semantic-patch instructions for segments, applied atomically to a draft.

Every instruction kind of LaunchDarkly's patchSegment documentation is supported. If any
instruction is invalid the whole request fails with 400 and nothing changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .jobs import ImportJob
from .members import MemberChanges
from .replies import ApiError, bad_request
from .segment import MAX_WEIGHT, Segment, clause_problem, doc_has_target, rule_problem
from .store import Store

MAX_TARGET_OPERATIONS = 1500


@dataclass
class Draft:
    """The segment as the instructions leave it; ``commit`` is up to the caller."""

    store: Store
    segment: Segment
    doc: dict[str, Any]
    members: MemberChanges
    imports_to_start: list[ImportJob] = field(default_factory=list)
    touched_targets: set[tuple[str, str]] = field(default_factory=set)
    target_operations: int = 0


def plan(store: Store, segment: Segment, instructions: Any) -> Draft:
    """Run ``instructions`` against a copy of ``segment``.

    Raises:
        ApiError: 400 naming the first invalid instruction, an unknown kind, more than
            1,500 target operations, or a key left both included and excluded.
    """
    if not isinstance(instructions, list) or not instructions:
        raise bad_request("instructions must be a non-empty list")
    draft = Draft(store, segment, copy.deepcopy(segment.doc), MemberChanges(segment))
    for index, instruction in enumerate(instructions):
        kind = instruction.get("kind") if isinstance(instruction, dict) else None
        apply = _INSTRUCTIONS.get(kind) if isinstance(kind, str) else None
        if apply is None:
            raise bad_request(f"Instruction {index}: unknown kind {kind!r}")
        try:
            apply(draft, instruction)
        except ApiError as exc:
            exc.message = f"Instruction {index} ({kind}): {exc.message}"
            raise
    if draft.target_operations > MAX_TARGET_OPERATIONS:
        raise bad_request(
            f"{draft.target_operations} target operations exceed the batch limit of "
            f"{MAX_TARGET_OPERATIONS}"
        )
    _reject_conflicts(draft)
    return draft


def _reject_conflicts(draft: Draft) -> None:
    both = sorted(
        key
        for kind, key in draft.touched_targets
        if doc_has_target(draft.doc, "included", kind, key)
        and doc_has_target(draft.doc, "excluded", kind, key)
    )
    both += draft.members.conflicts()
    if both:
        raise bad_request(f"Keys cannot be both included and excluded: {', '.join(both[:10])}")


def _string(instruction: dict[str, Any], name: str) -> str:
    value = instruction.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"{name} must be a non-empty string")
    return value


def _strings(instruction: dict[str, Any], name: str = "values") -> list[str]:
    values = instruction.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad_request(f"{name} must be a list of strings")
    return values


def _values(instruction: dict[str, Any]) -> list[Any]:
    values = instruction.get("values")
    if not isinstance(values, list):
        raise bad_request("values must be a list")
    return values


def _weight(value: Any) -> int:
    # LaunchDarkly's own example sends the weight as a string.
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WEIGHT:
        raise bad_request(f"weight must be an integer from 0 to {MAX_WEIGHT}")
    return value


def _standard_only(draft: Draft) -> None:
    if draft.segment.unbounded:
        raise bad_request("Use the big-segment instructions on a big segment")


def _big_only(draft: Draft) -> None:
    if not draft.segment.unbounded:
        raise bad_request("Only big (unbounded) segments support this instruction")


def _add_tags(draft: Draft, instruction: dict[str, Any]) -> None:
    tags = draft.doc["tags"]
    tags.extend(tag for tag in dict.fromkeys(_strings(instruction)) if tag not in tags)


def _remove_tags(draft: Draft, instruction: dict[str, Any]) -> None:
    unwanted = set(_strings(instruction))
    draft.doc["tags"] = [tag for tag in draft.doc["tags"] if tag not in unwanted]


def _update_name(draft: Draft, instruction: dict[str, Any]) -> None:
    draft.doc["name"] = _string(instruction, "value")


def _targets(
    target_type: str, adding: bool, *, users: bool
) -> Callable[[Draft, dict[str, Any]], None]:
    def apply(draft: Draft, instruction: dict[str, Any]) -> None:
        _standard_only(draft)
        keys = _strings(instruction)
        kind = "user" if users else _string(instruction, "contextKind")
        draft.target_operations += len(keys)
        draft.touched_targets.update((kind, key) for key in keys)
        if users:
            draft.doc[target_type] = _edit_keys(draft.doc.get(target_type, []), keys, adding)
            return
        entries = draft.doc.setdefault(f"{target_type}Contexts", [])
        entry = next((e for e in entries if e["contextKind"] == kind), None)
        if entry is None:
            if not adding:
                return
            entry = {"contextKind": kind, "values": []}
            entries.append(entry)
        entry["values"] = _edit_keys(entry["values"], keys, adding)
        if not entry["values"]:
            entries.remove(entry)

    return apply


def _edit_keys(current: list[str], keys: list[str], adding: bool) -> list[str]:
    present = set(current)
    if adding:
        return current + [key for key in dict.fromkeys(keys) if key not in present]
    unwanted = set(keys)
    return [key for key in current if key not in unwanted]


def _edit_values(current: list[Any], values: list[Any], adding: bool) -> list[Any]:
    # Clause values may be any JSON value, so no sets here.
    if adding:
        return current + [v for v in values if v not in current]
    return [v for v in current if v not in values]


def _new_clause(draft: Draft, raw: Any, clause_id: str | None = None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request("a clause must be an object")
    clause = {
        "_id": clause_id or draft.store.ids.uuid(),
        "contextKind": raw.get("contextKind") or "user",
        "attribute": raw.get("attribute"),
        "op": raw.get("op"),
        "values": raw.get("values"),
        "negate": raw.get("negate", False),
    }
    problem = clause_problem(clause)
    if problem:
        raise bad_request(f"clause {problem}")
    return clause


def _new_clauses(draft: Draft, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise bad_request("clauses must be a list")
    return [_new_clause(draft, clause) for clause in raw]


def _rule(draft: Draft, instruction: dict[str, Any]) -> dict[str, Any]:
    rule_id = _string(instruction, "ruleId")
    for rule in draft.doc["rules"]:
        if rule.get("_id") == rule_id:
            return rule  # type: ignore[no-any-return]
    raise bad_request(f"no rule with id {rule_id!r}")


def _clause(draft: Draft, instruction: dict[str, Any]) -> dict[str, Any]:
    rule = _rule(draft, instruction)
    clause_id = _string(instruction, "clauseId")
    for clause in rule["clauses"]:
        if clause.get("_id") == clause_id:
            return clause  # type: ignore[no-any-return]
    raise bad_request(f"no clause with id {clause_id!r} in rule {rule['_id']!r}")


def _add_rule(draft: Draft, instruction: dict[str, Any]) -> None:
    rule: dict[str, Any] = {
        "_id": draft.store.ids.uuid(),
        "clauses": _new_clauses(draft, instruction.get("clauses", [])),
    }
    if instruction.get("weight") is not None:
        rule["weight"] = _weight(instruction["weight"])
    for name in ("rolloutContextKind", "bucketBy", "description"):
        if instruction.get(name) is not None:
            rule[name] = instruction[name]
    problem = rule_problem(rule)
    if problem:
        raise bad_request(problem)
    draft.doc["rules"].append(rule)


def _remove_rule(draft: Draft, instruction: dict[str, Any]) -> None:
    rule_id = _string(instruction, "ruleId")
    draft.doc["rules"] = [rule for rule in draft.doc["rules"] if rule.get("_id") != rule_id]


def _reorder_rules(draft: Draft, instruction: dict[str, Any]) -> None:
    order = _strings(instruction, "ruleIds")
    by_id = {rule.get("_id"): rule for rule in draft.doc["rules"]}
    if len(order) != len(by_id) or set(order) != set(by_id):
        raise bad_request("ruleIds must name every rule of the segment exactly once")
    draft.doc["rules"] = [by_id[rule_id] for rule_id in order]


def _update_rule_description(draft: Draft, instruction: dict[str, Any]) -> None:
    description = instruction.get("description")
    if not isinstance(description, str):
        raise bad_request("description must be a string")
    _rule(draft, instruction)["description"] = description


def _update_rule_rollout(draft: Draft, instruction: dict[str, Any]) -> None:
    rule = _rule(draft, instruction)
    rule["weight"] = _weight(instruction.get("weight"))
    rule["rolloutContextKind"] = _string(instruction, "contextKind")


def _add_clauses(draft: Draft, instruction: dict[str, Any]) -> None:
    clauses = _new_clauses(draft, instruction.get("clauses"))
    if not clauses:
        raise bad_request("clauses must not be empty")
    _rule(draft, instruction)["clauses"].extend(clauses)


def _remove_clauses(draft: Draft, instruction: dict[str, Any]) -> None:
    rule = _rule(draft, instruction)
    unwanted = set(_strings(instruction, "clauseIds"))
    missing = unwanted - {clause.get("_id") for clause in rule["clauses"]}
    if missing:
        raise bad_request(f"no clauses with ids {sorted(missing)} in rule {rule['_id']!r}")
    rule["clauses"] = [c for c in rule["clauses"] if c.get("_id") not in unwanted]


def _update_clause(draft: Draft, instruction: dict[str, Any]) -> None:
    rule = _rule(draft, instruction)
    old = _clause(draft, instruction)
    new = _new_clause(draft, instruction.get("clause"), clause_id=old["_id"])
    rule["clauses"] = [new if clause is old else clause for clause in rule["clauses"]]


def _clause_values(adding: bool) -> Callable[[Draft, dict[str, Any]], None]:
    def apply(draft: Draft, instruction: dict[str, Any]) -> None:
        clause = _clause(draft, instruction)
        clause["values"] = _edit_values(clause["values"], _values(instruction), adding)

    return apply


def _big_targets(target_type: str, adding: bool) -> Callable[[Draft, dict[str, Any]], None]:
    def apply(draft: Draft, instruction: dict[str, Any]) -> None:
        _big_only(draft)
        keys = _strings(instruction)
        if adding:
            draft.members.add(target_type, keys)
        else:
            draft.members.remove(target_type, keys)

    return apply


def _process_import(draft: Draft, instruction: dict[str, Any]) -> None:
    _big_only(draft)
    import_id = _string(instruction, "importId")
    job = draft.store.imports.get(import_id)
    if job is None or job.segment_key != draft.segment.key:
        raise bad_request(f"no import {import_id!r} for this segment")
    if job.status != "ready":
        raise bad_request(f"import {import_id!r} is {job.status}, not ready")
    draft.imports_to_start.append(job)


_INSTRUCTIONS: dict[str, Callable[[Draft, dict[str, Any]], None]] = {
    "addTags": _add_tags,
    "removeTags": _remove_tags,
    "updateName": _update_name,
    "addIncludedTargets": _targets("included", True, users=False),
    "addExcludedTargets": _targets("excluded", True, users=False),
    "removeIncludedTargets": _targets("included", False, users=False),
    "removeExcludedTargets": _targets("excluded", False, users=False),
    "addIncludedUsers": _targets("included", True, users=True),
    "addExcludedUsers": _targets("excluded", True, users=True),
    "removeIncludedUsers": _targets("included", False, users=True),
    "removeExcludedUsers": _targets("excluded", False, users=True),
    "addRule": _add_rule,
    "removeRule": _remove_rule,
    "reorderRules": _reorder_rules,
    "updateRuleDescription": _update_rule_description,
    "updateRuleRolloutAndContextKind": _update_rule_rollout,
    "addClauses": _add_clauses,
    "removeClauses": _remove_clauses,
    "updateClause": _update_clause,
    "addValuesToClause": _clause_values(True),
    "removeValuesFromClause": _clause_values(False),
    "addBigSegmentIncludedTargets": _big_targets("included", True),
    "addBigSegmentExcludedTargets": _big_targets("excluded", True),
    "removeBigSegmentIncludedTargets": _big_targets("included", False),
    "removeBigSegmentExcludedTargets": _big_targets("excluded", False),
    "processBigSegmentImport": _process_import,
}
INSTRUCTION_KINDS = frozenset(_INSTRUCTIONS)
