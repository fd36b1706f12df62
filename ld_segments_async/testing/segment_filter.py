"""LaunchDarkly's list-segments ``filter`` language: tokenizer, parser, predicate.

Grammar (``,`` is AND and binds tighter than ``|``, which is OR)::

    expr   := conj ("|" conj)*
    conj   := term ("," term)*
    term   := "(" expr ")" | clause
    clause := FIELD OPERATOR [VALUE]

A value is a JSON string or array (so quotes, commas, pipes and brackets inside a string
are data) or the word ``true``/``false``. Supported clauses: ``tags anyOf [..]``,
``query equals "x"`` (or a list: any of them; case-insensitive substring of key, name or
description), ``unbounded equals true|false``, ``external exists [true|false]``,
``includedKeys anyOf [..]``, ``excludedKeys anyOf [..]``. ``view`` clauses are accepted and
ignored: the fake does not model views.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .replies import ApiError, bad_request
from .segment import Segment

Predicate = Callable[[Segment], bool]
_PUNCTUATION = {"(": "LPAREN", ")": "RPAREN", ",": "AND", "|": "OR"}
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Token:
    kind: str  # LPAREN, RPAREN, AND, OR, WORD, VALUE, END
    text: str
    value: Any = None
    position: int = 0


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with ``END``.

    Raises:
        ApiError: 400 for a malformed JSON value or a stray character.
    """
    tokens: list[Token] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char.isspace():
            index += 1
        elif char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, position=index))
            index += 1
        elif char in '"[':
            try:
                value, end = _DECODER.raw_decode(source, index)
            except ValueError:
                raise _invalid(f"malformed value at position {index}") from None
            tokens.append(Token("VALUE", source[index:end], value, index))
            index = end
        else:
            end = index
            while end < len(source) and (source[end].isalnum() or source[end] in "_-."):
                end += 1
            if end == index:
                raise _invalid(f"unexpected {char!r} at position {index}")
            tokens.append(Token("WORD", source[index:end], position=index))
            index = end
    tokens.append(Token("END", "", position=len(source)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._at = 0

    def parse(self) -> Predicate:
        predicate = self._expr()
        if self._peek().kind != "END":
            raise _invalid(f"unexpected {self._peek().text!r} at position {self._peek().position}")
        return predicate

    def _peek(self) -> Token:
        return self._tokens[self._at]

    def _next(self, kind: str) -> Token:
        token = self._peek()
        if token.kind != kind:
            found = token.text or "end of filter"
            raise _invalid(f"expected {kind.lower()}, found {found!r} at position {token.position}")
        self._at += 1
        return token

    def _expr(self) -> Predicate:
        options = [self._conj()]
        while self._peek().kind == "OR":
            self._at += 1
            options.append(self._conj())
        if len(options) == 1:
            return options[0]
        return lambda segment: any(option(segment) for option in options)

    def _conj(self) -> Predicate:
        parts = [self._term()]
        while self._peek().kind == "AND":
            self._at += 1
            parts.append(self._term())
        if len(parts) == 1:
            return parts[0]
        return lambda segment: all(part(segment) for part in parts)

    def _term(self) -> Predicate:
        if self._peek().kind == "LPAREN":
            self._at += 1
            inner = self._expr()
            self._next("RPAREN")
            return inner
        field = self._next("WORD").text
        operator = self._next("WORD").text
        token = self._peek()
        value: Any = None
        has_value = True
        if token.kind == "VALUE":
            value = token.value
            self._at += 1
        elif token.kind == "WORD" and token.text in ("true", "false"):
            value = token.text == "true"
            self._at += 1
        else:
            has_value = False
        return _clause(field, operator, value, has_value)


def _clause(field: str, operator: str, value: Any, has_value: bool) -> Predicate:
    rule = f"{field} {operator}"
    if field == "view" and operator in ("anyOf", "equals") and has_value:
        return lambda segment: True
    if rule == "external exists":
        if has_value and not isinstance(value, bool):
            raise _invalid("external exists takes true, false or nothing")
        wanted = value if has_value else True
        return lambda segment: ("_external" in segment.doc) == wanted
    if rule == "unbounded equals":
        if not isinstance(value, bool):
            raise _invalid("unbounded equals takes true or false")
        return lambda segment: segment.unbounded == value
    if rule == "query equals":
        needles = [value] if isinstance(value, str) else value
        if not _is_strings(needles):
            raise _invalid("query equals takes a string or a list of strings")
        lowered = [needle.lower() for needle in needles]
        return lambda segment: _matches_query(segment, lowered)
    if rule in ("tags anyOf", "includedKeys anyOf", "excludedKeys anyOf"):
        if not _is_strings(value):
            raise _invalid(f"{rule} takes a list of strings")
        wanted_set = frozenset(value)
        if field == "tags":
            return lambda segment: not wanted_set.isdisjoint(segment.doc["tags"])
        if field == "includedKeys":
            return lambda segment: segment.key in wanted_set
        return lambda segment: segment.key not in wanted_set
    raise _invalid(f"unsupported field or operator {rule!r}")


def _matches_query(segment: Segment, needles: list[str]) -> bool:
    doc = segment.doc
    haystacks = (doc["key"].lower(), doc["name"].lower(), (doc.get("description") or "").lower())
    return any(needle in haystack for needle in needles for haystack in haystacks)


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _invalid(reason: str) -> ApiError:
    return bad_request(f"Invalid filter: {reason}")


def parse_filter(source: str) -> Predicate:
    """Compile a ``filter`` query value into a predicate over segments.

    Raises:
        ApiError: 400 for a malformed filter or an unsupported field/operator.
    """
    return _Parser(tokenize(source)).parse()
