"""Whether a context instance is in a segment: individual targets, rules, rollouts.

Follows the LaunchDarkly SDKs' rules where they matter to segment membership; date and
semantic-version operators are simplified (RFC 3339 or epoch ms; ``major.minor.patch``
with an optional pre-release), and ``segmentMatch`` never matches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .replies import bad_request
from .segment import MAX_WEIGHT, Segment

Contexts = dict[str, dict[str, Any]]
_BUCKET_SCALE = float(0xFFFFFFFFFFFFFFF)
_SEMVER = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def parse_context(body: Any) -> Contexts:
    """The single-kind contexts of a context instance, by kind.

    Raises:
        ApiError: 400 when it is not a context, or a context has no key.
    """
    if not isinstance(body, dict):
        raise bad_request("The context must be a JSON object")
    kind = body.get("kind", "user")
    if kind == "multi":
        contexts = {name: value for name, value in body.items() if name != "kind"}
        if not contexts:
            raise bad_request("A multi-kind context needs at least one context")
    elif isinstance(kind, str) and kind:
        contexts = {kind: body}
    else:
        raise bad_request("The context kind must be a non-empty string")
    for name, context in contexts.items():
        if not isinstance(context, dict) or not isinstance(context.get("key"), str):
            raise bad_request(f"The {name} context needs a string key")
        if not context["key"]:
            raise bad_request(f"The {name} context key must not be empty")
    return contexts


def membership(segment: Segment, contexts: Contexts) -> tuple[bool, bool]:
    """``(individually_targeted, rule_targeted)``; an excluded target matches neither."""
    keys = [(kind, context["key"]) for kind, context in contexts.items()]
    if any(segment.has_target("excluded", kind, key) for kind, key in keys):
        return False, False
    individually = any(segment.has_target("included", kind, key) for kind, key in keys)
    by_rule = any(_rule_matches(segment, rule, contexts) for rule in segment.doc["rules"])
    return individually, by_rule


def _rule_matches(segment: Segment, rule: dict[str, Any], contexts: Contexts) -> bool:
    if not all(clause_matches(clause, contexts) for clause in rule["clauses"]):
        return False
    weight = rule.get("weight")
    if weight is None:
        return True
    context = contexts.get(rule.get("rolloutContextKind") or "user")
    if context is None:
        return False
    return bucket(segment, context, rule.get("bucketBy") or "key") < float(weight) / MAX_WEIGHT


def bucket(segment: Segment, context: dict[str, Any], attribute: str) -> float:
    """LaunchDarkly's bucket in [0, 1): sha1 of ``segmentKey.salt.value``, 15 hex digits."""
    value = _attribute(context, attribute)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return 0.0
    digest = hashlib.sha1(f"{segment.key}.{segment.salt}.{value}".encode()).hexdigest()  # noqa: S324
    return int(digest[:15], 16) / _BUCKET_SCALE


def clause_matches(clause: dict[str, Any], contexts: Contexts) -> bool:
    """One clause against the context of its kind (``user`` by default)."""
    attribute = clause["attribute"]
    if attribute == "kind":
        actual: Any = list(contexts)
    else:
        context = contexts.get(clause.get("contextKind") or "user")
        if context is None:
            return False
        actual = _attribute(context, attribute)
        if actual is None:
            return False
    test = _OPERATORS.get(clause["op"])
    if test is None:
        return False
    candidates = actual if isinstance(actual, list) else [actual]
    found = any(test(item, wanted) for item in candidates for wanted in clause["values"])
    return found != bool(clause.get("negate", False))


def _attribute(context: dict[str, Any], reference: str) -> Any:
    if not reference.startswith("/"):
        return context.get(reference)
    value: Any = context
    for token in reference[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(value, dict) or token not in value:
            return None
        value = value[token]
    return value


def _same(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def _strings(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda left, right: (
        isinstance(left, str) and isinstance(right, str) and test(left, right)
    )


def _numbers(test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    return lambda left, right: _is_number(left) and _is_number(right) and test(left, right)


def _dates(test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        a, b = _epoch_ms(left), _epoch_ms(right)
        return a is not None and b is not None and test(a, b)

    return compare


def _semvers(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        a, b = _semver(left), _semver(right)
        return a is not None and b is not None and test(_cmp(a, b))

    return compare


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _regex_search(value: str, pattern: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def _epoch_ms(value: Any) -> float | None:
    if _is_number(value):
        return float(value)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp() * 1000


def _semver(value: Any) -> tuple[tuple[int, int, int], list[str]] | None:
    match = _SEMVER.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return (int(major), int(minor or 0), int(patch or 0)), pre.split(".") if pre else []


def _cmp(
    a: tuple[tuple[int, int, int], list[str]], b: tuple[tuple[int, int, int], list[str]]
) -> int:
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    # A release outranks its pre-releases; pre-release parts compare numbers numerically.
    if not a[1] or not b[1]:
        return (not a[1]) - (not b[1])
    left = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in a[1]]
    right = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in b[1]]
    return (left > right) - (left < right)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "in": _same,
    "startsWith": _strings(str.startswith),
    "endsWith": _strings(str.endswith),
    "contains": _strings(lambda value, part: part in value),
    "matches": _strings(_regex_search),
    "lessThan": _numbers(lambda a, b: a < b),
    "lessThanOrEqual": _numbers(lambda a, b: a <= b),
    "greaterThan": _numbers(lambda a, b: a > b),
    "greaterThanOrEqual": _numbers(lambda a, b: a >= b),
    "before": _dates(lambda a, b: a < b),
    "after": _dates(lambda a, b: a > b),
    "semVerEqual": _semvers(lambda order: order == 0),
    "semVerLessThan": _semvers(lambda order: order < 0),
    "semVerGreaterThan": _semvers(lambda order: order > 0),
}
