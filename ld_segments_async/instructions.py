"""Semantic-patch instruction builders, one per kind LaunchDarkly documents.

A list of instructions is a semantic patch::

    from ld_segments_async import instructions as ins

    await ld.patch_segment("proj", "prod", "beta", [
        ins.add_tags(values=["beta"]),
        ins.add_included_targets(context_kind="org", values=["acme"]),
        ins.add_rule(clauses=[Clause(attribute="email", op="endsWith", values=[".edu"])]),
    ])

Wrap the list in :class:`SemanticPatch` to add an audit-log comment. Builders check
their arguments when called, so a bad instruction fails before any request. Each
returns an :class:`Instruction`; ``instruction.to_dict()`` is its JSON.

Expiring targets (``patch_expiring_targets_for_segment``) take
:func:`add_expiring_target`, :func:`update_expiring_target` and
:func:`remove_expiring_target`; the deprecated user variant takes the
``*_expire_user_target_date`` builders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from .converter import converter
from .models import Clause, SemanticPatch

__all__ = [
    "Instruction",
    "SemanticPatch",
    "add_big_segment_excluded_targets",
    "add_big_segment_included_targets",
    "add_clauses",
    "add_excluded_targets",
    "add_excluded_users",
    "add_expire_user_target_date",
    "add_expiring_target",
    "add_included_targets",
    "add_included_users",
    "add_rule",
    "add_tags",
    "add_values_to_clause",
    "process_big_segment_import",
    "remove_big_segment_excluded_targets",
    "remove_big_segment_included_targets",
    "remove_clauses",
    "remove_excluded_targets",
    "remove_excluded_users",
    "remove_expire_user_target_date",
    "remove_expiring_target",
    "remove_included_targets",
    "remove_included_users",
    "remove_rule",
    "remove_tags",
    "remove_values_from_clause",
    "reorder_rules",
    "update_clause",
    "update_expire_user_target_date",
    "update_expiring_target",
    "update_name",
    "update_rule_description",
    "update_rule_rollout_and_context_kind",
]

MAX_TARGET_OPERATIONS = 1500
"""LaunchDarkly's limit of target keys changed by one request."""

MAX_WEIGHT = 100_000
"""Rollout weights are thousandths of a percent."""

_TARGET_TYPES = ("included", "excluded")


@frozen
class Instruction:
    """One semantic-patch instruction: its ``kind`` and JSON parameters."""

    kind: str
    params: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}


# Inside a model (``SemanticPatch.instructions``), an instruction is its JSON too.
converter.register_unstructure_hook(Instruction, Instruction.to_dict)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _texts(values: Any, name: str, *, limit: int | None = None) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a list of strings, got {type(values).__name__}")
    if not values:
        raise ValueError(f"{name} must not be empty")
    checked = [_text(value, f"each of {name}") for value in values]
    if limit is not None and len(checked) > limit:
        raise ValueError(
            f"{len(checked)} {name}: LaunchDarkly changes at most {limit} targets per request"
        )
    return checked


def _clause(value: Any) -> dict[str, Any]:
    if isinstance(value, Clause):
        data: dict[str, Any] = converter.unstructure(value)
    elif isinstance(value, Mapping):
        data = dict(value)
    else:
        raise TypeError(f"a clause must be a Clause or a dict, got {type(value).__name__}")
    for required in ("attribute", "op", "values"):
        if required not in data:
            raise ValueError(f"clause {data!r} has no {required!r}")
    if not isinstance(data["values"], list) or not data["values"]:
        raise ValueError(f"clause values must be a non-empty list, got {data['values']!r}")
    return data


def _clauses(values: Any) -> list[dict[str, Any]]:
    if isinstance(values, (str, Mapping)) or not isinstance(values, Sequence) or not values:
        raise ValueError("clauses must be a non-empty list of Clause or dict")
    return [_clause(value) for value in values]


def _weight(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
        raise ValueError(
            f"weight must be an integer from 0 to {MAX_WEIGHT} (thousandths of a percent), "
            f"got {value!r}"
        )
    return value


def _target_type(value: Any) -> str:
    if value not in _TARGET_TYPES:
        raise ValueError(f"target_type must be 'included' or 'excluded', got {value!r}")
    return str(value)


def unix_ms(value: dt.datetime | int) -> int:
    """An expiry as Unix milliseconds, from an aware ``datetime`` or an ``int``."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(
                "use a timezone-aware datetime, e.g. datetime.now(timezone.utc) + timedelta(...)"
            )
        return int(value.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a datetime or Unix milliseconds, got {type(value).__name__}")
    if value < 10**11:
        raise ValueError(f"{value} looks like Unix seconds; LaunchDarkly expects milliseconds")
    return value


# -- segment settings ------------------------------------------------------------


def add_tags(*, values: Sequence[str]) -> Instruction:
    """Add tags to the segment."""
    return Instruction("addTags", {"values": _texts(values, "values")})


def remove_tags(*, values: Sequence[str]) -> Instruction:
    """Remove tags from the segment."""
    return Instruction("removeTags", {"values": _texts(values, "values")})


def update_name(*, value: str) -> Instruction:
    """Rename the segment."""
    return Instruction("updateName", {"value": _text(value, "value")})


# -- individual targets ----------------------------------------------------------


def _targets(kind: str, context_kind: str, values: Sequence[str]) -> Instruction:
    return Instruction(
        kind,
        {
            "contextKind": _text(context_kind, "context_kind"),
            "values": _texts(values, "values", limit=MAX_TARGET_OPERATIONS),
        },
    )


def _users(kind: str, values: Sequence[str]) -> Instruction:
    return Instruction(kind, {"values": _texts(values, "values", limit=MAX_TARGET_OPERATIONS)})


def add_included_targets(*, values: Sequence[str], context_kind: str = "user") -> Instruction:
    """Include context keys of ``context_kind`` in the segment."""
    return _targets("addIncludedTargets", context_kind, values)


def add_excluded_targets(*, values: Sequence[str], context_kind: str = "user") -> Instruction:
    """Exclude context keys of ``context_kind`` from the segment."""
    return _targets("addExcludedTargets", context_kind, values)


def remove_included_targets(*, values: Sequence[str], context_kind: str = "user") -> Instruction:
    """Stop including context keys of ``context_kind``."""
    return _targets("removeIncludedTargets", context_kind, values)


def remove_excluded_targets(*, values: Sequence[str], context_kind: str = "user") -> Instruction:
    """Stop excluding context keys of ``context_kind``."""
    return _targets("removeExcludedTargets", context_kind, values)


def add_included_users(*, values: Sequence[str]) -> Instruction:
    """Include user keys (prefer :func:`add_included_targets` with contexts)."""
    return _users("addIncludedUsers", values)


def add_excluded_users(*, values: Sequence[str]) -> Instruction:
    """Exclude user keys (prefer :func:`add_excluded_targets` with contexts)."""
    return _users("addExcludedUsers", values)


def remove_included_users(*, values: Sequence[str]) -> Instruction:
    """Stop including user keys."""
    return _users("removeIncludedUsers", values)


def remove_excluded_users(*, values: Sequence[str]) -> Instruction:
    """Stop excluding user keys."""
    return _users("removeExcludedUsers", values)


# -- rules and clauses -------------------------------------------------------------


def add_rule(
    *, clauses: Sequence[Clause | Mapping[str, Any]], description: str | None = None
) -> Instruction:
    """Add a targeting rule; a context matching every clause is a member."""
    params: dict[str, Any] = {"clauses": _clauses(clauses)}
    if description is not None:
        params["description"] = description
    return Instruction("addRule", params)


def remove_rule(*, rule_id: str) -> Instruction:
    """Remove a rule (LaunchDarkly does nothing if it does not exist)."""
    return Instruction("removeRule", {"ruleId": _text(rule_id, "rule_id")})


def reorder_rules(*, rule_ids: Sequence[str]) -> Instruction:
    """Reorder the rules; ``rule_ids`` must name every rule of the segment."""
    return Instruction("reorderRules", {"ruleIds": _texts(rule_ids, "rule_ids")})


def update_rule_description(*, rule_id: str, description: str) -> Instruction:
    """Change a rule's description."""
    if not isinstance(description, str):
        raise TypeError("description must be a string")
    return Instruction(
        "updateRuleDescription", {"ruleId": _text(rule_id, "rule_id"), "description": description}
    )


def update_rule_rollout_and_context_kind(
    *, rule_id: str, weight: int, context_kind: str = "user"
) -> Instruction:
    """Include only ``weight`` thousandths of a percent of the contexts a rule matches."""
    return Instruction(
        "updateRuleRolloutAndContextKind",
        {
            "ruleId": _text(rule_id, "rule_id"),
            "weight": _weight(weight),
            "contextKind": _text(context_kind, "context_kind"),
        },
    )


def add_clauses(*, rule_id: str, clauses: Sequence[Clause | Mapping[str, Any]]) -> Instruction:
    """Add clauses to a rule."""
    return Instruction(
        "addClauses", {"ruleId": _text(rule_id, "rule_id"), "clauses": _clauses(clauses)}
    )


def remove_clauses(*, rule_id: str, clause_ids: Sequence[str]) -> Instruction:
    """Remove clauses from a rule."""
    return Instruction(
        "removeClauses",
        {"ruleId": _text(rule_id, "rule_id"), "clauseIds": _texts(clause_ids, "clause_ids")},
    )


def update_clause(
    *, rule_id: str, clause_id: str, clause: Clause | Mapping[str, Any]
) -> Instruction:
    """Replace a clause of a rule."""
    return Instruction(
        "updateClause",
        {
            "ruleId": _text(rule_id, "rule_id"),
            "clauseId": _text(clause_id, "clause_id"),
            "clause": _clause(clause),
        },
    )


def _clause_values(kind: str, rule_id: str, clause_id: str, values: Sequence[Any]) -> Instruction:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ValueError("values must be a non-empty list")
    return Instruction(
        kind,
        {
            "ruleId": _text(rule_id, "rule_id"),
            "clauseId": _text(clause_id, "clause_id"),
            "values": list(values),
        },
    )


def add_values_to_clause(*, rule_id: str, clause_id: str, values: Sequence[Any]) -> Instruction:
    """Add values to a clause (its attribute and operator stay)."""
    return _clause_values("addValuesToClause", rule_id, clause_id, values)


def remove_values_from_clause(
    *, rule_id: str, clause_id: str, values: Sequence[Any]
) -> Instruction:
    """Remove values from a clause."""
    return _clause_values("removeValuesFromClause", rule_id, clause_id, values)


# -- big segments ----------------------------------------------------------------------


def add_big_segment_included_targets(*, values: Sequence[str]) -> Instruction:
    """Include context keys in a big (list-based) segment."""
    return Instruction("addBigSegmentIncludedTargets", {"values": _texts(values, "values")})


def add_big_segment_excluded_targets(*, values: Sequence[str]) -> Instruction:
    """Exclude context keys from a big segment."""
    return Instruction("addBigSegmentExcludedTargets", {"values": _texts(values, "values")})


def remove_big_segment_included_targets(*, values: Sequence[str]) -> Instruction:
    """Stop including context keys in a big segment."""
    return Instruction("removeBigSegmentIncludedTargets", {"values": _texts(values, "values")})


def remove_big_segment_excluded_targets(*, values: Sequence[str]) -> Instruction:
    """Stop excluding context keys from a big segment."""
    return Instruction("removeBigSegmentExcludedTargets", {"values": _texts(values, "values")})


def process_big_segment_import(*, import_id: str) -> Instruction:
    """Process an import created with ``wait_on_approvals`` once it is ready."""
    return Instruction("processBigSegmentImport", {"importId": _text(import_id, "import_id")})


# -- expiring context targets --------------------------------------------------------


def _expiring(target_type: str, context_key: str, context_kind: str) -> dict[str, Any]:
    return {
        "targetType": _target_type(target_type),
        "contextKey": _text(context_key, "context_key"),
        "contextKind": _text(context_kind, "context_kind"),
    }


def add_expiring_target(
    *,
    target_type: str,
    context_key: str,
    value: dt.datetime | int,
    context_kind: str = "user",
) -> Instruction:
    """Schedule the removal of an individual target at ``value`` (aware datetime or Unix
    ms). The context must already be an individual target of that type."""
    params = _expiring(target_type, context_key, context_kind)
    return Instruction("addExpiringTarget", {**params, "value": unix_ms(value)})


def update_expiring_target(
    *,
    target_type: str,
    context_key: str,
    value: dt.datetime | int,
    context_kind: str = "user",
    version: int | None = None,
) -> Instruction:
    """Move a scheduled removal; with ``version``, only if the expiring target is still at
    that version."""
    params = _expiring(target_type, context_key, context_kind)
    params["value"] = unix_ms(value)
    if version is not None:
        params["version"] = version
    return Instruction("updateExpiringTarget", params)


def remove_expiring_target(
    *, target_type: str, context_key: str, context_kind: str = "user"
) -> Instruction:
    """Cancel a scheduled removal."""
    return Instruction(
        "removeExpiringTarget",
        _expiring(target_type, context_key, context_kind),
    )


# -- expiring user targets (deprecated upstream) -------------------------------------


def add_expire_user_target_date(
    *, target_type: str, user_key: str, value: dt.datetime | int
) -> Instruction:
    """Schedule the removal of a user target (prefer :func:`add_expiring_target`)."""
    return Instruction(
        "addExpireUserTargetDate",
        {
            "targetType": _target_type(target_type),
            "userKey": _text(user_key, "user_key"),
            "value": unix_ms(value),
        },
    )


def update_expire_user_target_date(
    *, target_type: str, user_key: str, value: dt.datetime | int, version: int
) -> Instruction:
    """Move a user target's scheduled removal; ``version`` is the segment's version."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError("version must be an integer (the segment's version)")
    return Instruction(
        "updateExpireUserTargetDate",
        {
            "targetType": _target_type(target_type),
            "userKey": _text(user_key, "user_key"),
            "value": unix_ms(value),
            "version": version,
        },
    )


def remove_expire_user_target_date(*, target_type: str, user_key: str) -> Instruction:
    """Cancel a user target's scheduled removal."""
    return Instruction(
        "removeExpireUserTargetDate",
        {"targetType": _target_type(target_type), "userKey": _text(user_key, "user_key")},
    )
