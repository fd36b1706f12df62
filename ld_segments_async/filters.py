"""Builders for the List-segments ``filter`` and ``sort`` parameters.

Filters compose with ``&`` (AND, rendered ``,``) and ``|`` (OR, rendered ``|``);
``str()`` renders LaunchDarkly's syntax with every value JSON-quoted, so any string
(quotes, commas, pipes, brackets, unicode) stays data::

    f = any_of("tags", ["beta", "qa"]) & equals("query", "checkout")
    str(f)    # 'tags anyOf ["beta","qa"],query equals "checkout"'
    await ld.get_segments("proj", "prod", filter=f, sort=sort_by("-lastModified"))

Mixed AND/OR is parenthesised explicitly, so the result never depends on the
server's operator precedence. Plain filter strings are accepted wherever a filter is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from attrs import frozen

__all__ = ["Filter", "Sort", "any_of", "equals", "exists", "sort_by"]

_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_OPERATORS_BY_FIELD = {
    "tags": {"anyOf"},
    "includedKeys": {"anyOf"},
    "excludedKeys": {"anyOf"},
    "query": {"equals"},
    "unbounded": {"equals"},
    "external": {"exists"},
    "view": {"anyOf", "equals"},
}
SORT_FIELDS = ("name", "creationDate", "lastModified")


class Filter:
    """A filter expression; combine with ``&`` and ``|``, render with ``str()``."""

    def __and__(self, other: Filter) -> Filter:
        return _Combined(",", (*_parts(self, ","), *_parts(_check(other), ",")))

    def __or__(self, other: Filter) -> Filter:
        return _Combined("|", (*_parts(self, "|"), *_parts(_check(other), "|")))

    def render(self, *, inside: str | None = None) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()


def _check(other: Any) -> Filter:
    if not isinstance(other, Filter):
        raise TypeError(f"cannot combine a filter with {type(other).__name__}")
    return other


def _parts(expression: Filter, operator: str) -> tuple[Filter, ...]:
    # a & (b & c) is a & b & c: flatten same-operator chains.
    if isinstance(expression, _Combined) and expression.operator == operator:
        return expression.parts
    return (expression,)


@frozen(repr=False)
class _Condition(Filter):
    field: str
    operator: str
    value: Any = None
    has_value: bool = True

    def render(self, *, inside: str | None = None) -> str:
        if not self.has_value:
            return f"{self.field} {self.operator}"
        encoded = json.dumps(self.value, ensure_ascii=False, separators=(",", ":"))
        return f"{self.field} {self.operator} {encoded}"

    def __repr__(self) -> str:
        return f"Filter({self.render()!r})"


@frozen(repr=False)
class _Combined(Filter):
    operator: str
    parts: tuple[Filter, ...]

    def render(self, *, inside: str | None = None) -> str:
        text = self.operator.join(part.render(inside=self.operator) for part in self.parts)
        return f"({text})" if inside is not None and inside != self.operator else text

    def __repr__(self) -> str:
        return f"Filter({self.render()!r})"


def _field(field: str, operator: str) -> str:
    if not isinstance(field, str) or not _FIELD.match(field):
        raise ValueError(f"invalid filter field {field!r}")
    allowed = _OPERATORS_BY_FIELD.get(field)
    if allowed is not None and operator not in allowed:
        raise ValueError(
            f"LaunchDarkly filters {field!r} with {' or '.join(sorted(allowed))}, not {operator}"
        )
    return field


def any_of(field: str, values: Sequence[str]) -> Filter:
    """``field anyOf [values]``: ``tags``, ``includedKeys``, ``excludedKeys``."""
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ValueError("any_of needs a non-empty list of values")
    if not all(isinstance(value, str) for value in values):
        raise TypeError("any_of values must be strings")
    return _Condition(_field(field, "anyOf"), "anyOf", list(values))


def equals(field: str, value: str | bool | Sequence[str]) -> Filter:
    """``field equals value``: ``query`` (a string, or a list of strings) or ``unbounded``
    (a bool)."""
    if not isinstance(value, (str, bool)):
        if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
            raise TypeError("equals takes a string, a bool or a list of strings")
        value = list(value)
    return _Condition(_field(field, "equals"), "equals", value)


def exists(field: str) -> Filter:
    """``field exists``: ``external`` (synced segments)."""
    return _Condition(_field(field, "exists"), "exists", has_value=False)


@frozen
class Sort:
    """A ``sort`` value: fields in order, each ascending or descending (``-``)."""

    fields: tuple[str, ...]

    def __str__(self) -> str:
        return ",".join(self.fields)


def sort_by(*fields: str) -> Sort:
    """Sort by ``name``, ``creationDate`` or ``lastModified``; prefix ``-`` to descend::

    sort_by("-lastModified", "name")
    """
    if not fields:
        raise ValueError("sort_by needs at least one field")
    for field in fields:
        if field.removeprefix("-") not in SORT_FIELDS:
            raise ValueError(f"cannot sort segments by {field!r}; use one of {SORT_FIELDS}")
    return Sort(tuple(fields))
