"""Offset/limit pages and their ``_links`` (relative hrefs, query kept)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from .replies import bad_request

DEFAULT_LIMIT = 20
T = TypeVar("T")


def page_window(query: Mapping[str, str], max_page_size: int | None) -> tuple[int, int]:
    """``(limit, offset)`` from the query; ``limit`` 0 means the default.

    Raises:
        ApiError: 400 for a non-integer or negative value.
    """
    limit = _non_negative(query, "limit") or DEFAULT_LIMIT
    if max_page_size is not None:
        limit = min(limit, max_page_size)
    return limit, _non_negative(query, "offset")


def _non_negative(query: Mapping[str, str], name: str) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Query parameter {name} must be an integer") from None
    if value < 0:
        raise bad_request(f"Query parameter {name} must not be negative")
    return value


def paged(
    items: Sequence[T],
    path: str,
    query: Mapping[str, str],
    limit: int,
    offset: int,
) -> tuple[Sequence[T], dict[str, Any]]:
    """The slice of ``items`` for this page and the collection's ``_links``.

    ``prev`` and ``next`` appear only when those pages exist; other query parameters
    (``filter``, ``sort``) are carried into every href.
    """
    total = len(items)
    kept = [(k, v) for k, v in query.items() if k not in ("limit", "offset")]

    def link(at: int) -> dict[str, str]:
        params = [("limit", str(limit)), ("offset", str(at)), *kept]
        return {"href": f"{path}?{urlencode(params, quote_via=quote)}", "type": "application/json"}

    last = ((total - 1) // limit) * limit if total else 0
    links = {"self": link(offset), "first": link(0), "last": link(last)}
    if offset > 0:
        links["prev"] = link(max(offset - limit, 0))
    if offset + limit < total:
        links["next"] = link(offset + limit)
    return items[offset : offset + limit], links
