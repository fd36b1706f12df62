"""``list --filter`` and ``--sort``, read into the library's own builders so that a bad
one is a usage error before anything is sent (and not a 400 from the server).

The filter language is LaunchDarkly's: ``field operator value`` clauses, ``,`` for AND
(binding tighter), ``|`` for OR, parentheses to group; a value is JSON (a string, a
list of strings, ``true``/``false``), and ``exists`` takes none::

    tags anyOf ["beta","qa"],(unbounded equals false|query equals "checkout")
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from ld_segments_async.filters import Filter, Sort, any_of, equals, exists, sort_by

from .exits import UsageError

__all__ = ["parse_filter", "parse_sort"]

_TOKEN = re.compile(r"\s*(?:(?P<punct>[(),|])|(?P<word>[A-Za-z][A-Za-z0-9_]*)|(?P<json>[\"\[]))")
_DECODER = json.JSONDecoder()
_BUILDERS: dict[str, Callable[..., Filter]] = {"anyOf": any_of, "equals": equals}


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.at = 0

    def fail(self, why: str) -> UsageError:
        return UsageError(f"--filter {self.source!r}: {why} at position {self.at}")

    def peek(self) -> tuple[str, str] | None:
        """The next token as (kind, text), without taking it; None at the end."""
        if not self.source[self.at :].strip():
            return None
        match = _TOKEN.match(self.source, self.at)
        if match is None or match.lastgroup is None:
            rest = self.source[self.at :].lstrip()
            self.at = len(self.source) - len(rest)
            raise self.fail(f"unexpected {rest[0]!r}")
        return match.lastgroup, match[match.lastgroup]

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.fail("unexpected end")
        match = _TOKEN.match(self.source, self.at)
        assert match is not None
        self.at = match.end() if token[0] != "json" else match.start("json")
        return token

    def value(self) -> object:
        self.take()
        try:
            value, self.at = _DECODER.raw_decode(self.source, self.at)
        except ValueError:
            raise self.fail("a malformed JSON value") from None
        return value

    def expression(self) -> Filter:
        result = self.conjunction()
        while self.peek() == ("punct", "|"):
            self.take()
            result = result | self.conjunction()
        return result

    def conjunction(self) -> Filter:
        result = self.term()
        while self.peek() == ("punct", ","):
            self.take()
            result = result & self.term()
        return result

    def term(self) -> Filter:
        if self.peek() == ("punct", "("):
            self.take()
            inner = self.expression()
            if self.peek() != ("punct", ")"):
                raise self.fail("expected ')'")
            self.take()
            return inner
        field = self._word("a field name")
        operator = self._word("an operator (anyOf, equals, exists)")
        if operator == "exists":
            return self._built(exists, field)
        builder = _BUILDERS.get(operator)
        if builder is None:
            raise self.fail(f"unknown operator {operator!r}: use anyOf, equals or exists")
        token = self.peek()
        if token is not None and token[0] == "word" and token[1] in ("true", "false"):
            self.take()
            return self._built(builder, field, token[1] == "true")
        if token is None or token[0] != "json":
            raise self.fail(f"{field} {operator} needs a JSON value")
        return self._built(builder, field, self.value())

    def _word(self, what: str) -> str:
        token = self.peek()
        if token is None or token[0] != "word":
            raise self.fail(f"expected {what}")
        return self.take()[1]

    def _built(self, builder: Callable[..., Filter], *args: object) -> Filter:
        try:
            return builder(*args)
        except (ValueError, TypeError) as error:
            raise self.fail(str(error)) from None


def parse_filter(source: str | None) -> Filter | None:
    """``--filter`` as a checked :class:`~ld_segments_async.filters.Filter`.

    Raises:
        UsageError: malformed, or refused by the library's builders.
    """
    if source is None:
        return None
    reader = _Reader(source)
    if reader.peek() is None:
        raise UsageError("--filter is empty")
    expression = reader.expression()
    rest = reader.peek()
    if rest is not None:
        raise reader.fail(f"unexpected {rest[1]!r}")
    return expression


def parse_sort(source: str | None) -> Sort | None:
    """``--sort`` (comma-separated fields, ``-`` to descend), checked by ``sort_by``.

    Raises:
        UsageError: an unknown field.
    """
    if source is None:
        return None
    try:
        return sort_by(*(field.strip() for field in source.split(",")))
    except ValueError as error:
        raise UsageError(f"--sort {source!r}: {error}") from None
