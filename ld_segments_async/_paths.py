"""Route templates and percent-encoded paths."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from urllib.parse import quote, unquote, urlsplit

__all__ = ["check", "expand", "id_from_location"]

_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


@cache
def _compile(route: str) -> tuple[str, tuple[str, ...]]:
    names = tuple(_PLACEHOLDER.findall(route))
    return _PLACEHOLDER.sub("{}", route), names


def _argument_name(placeholder: str) -> str:
    # "projectKey" -> "project_key", "exportID" -> "export_id": the Python argument.
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", placeholder).lower()


_UNRESERVED = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*\Z")


def _encode(value: str) -> str:
    if _UNRESERVED.match(value):
        return value  # the usual key: nothing to encode
    # "." and ".." are dot-segments: left as they are, URL normalisation would climb a
    # level and address another resource.
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe="")


def expand(route: str, *values: str) -> str:
    """Fill ``route``'s placeholders, in order, with percent-encoded ``values``.

    Raises:
        ValueError: a value is empty, or not valid Unicode.
        TypeError: a value is not a string.
    """
    template, names = _compile(route)
    if len(values) == len(names):
        try:
            return template.format(*[_encoded(value) for value in values])
        except (ValueError, TypeError):  # unhashable, not a str, empty, unencodable
            pass
    _explain(names, values)
    raise AssertionError("unreachable")  # pragma: no cover


@lru_cache(maxsize=4096)
def _encoded(value: str) -> str:
    # The same keys come back call after call: each is checked and encoded once
    # (a fifth of the client's own cost of building a request, before this cache).
    if value.__class__ is not str or not value:
        raise ValueError(value)
    return _encode(value)


def _explain(names: tuple[str, ...], values: tuple[object, ...]) -> None:
    """Raise the error for the first bad value, naming its argument."""
    for name, value in zip(names, values, strict=True):
        if not isinstance(value, str):
            raise TypeError(f"{_argument_name(name)} must be a str, got {type(value).__name__}")
        if not value:
            raise ValueError(f"{_argument_name(name)} must not be empty")
        try:
            _encode(value)
        except UnicodeEncodeError:
            raise ValueError(
                f"{_argument_name(name)} is not valid Unicode (it holds a lone surrogate)"
            ) from None


def check(route: str, *values: str) -> None:
    """Fail as :func:`expand` would: keys are checked before any work starts."""
    expand(route, *values)


def id_from_location(location: str | None) -> str | None:
    """The last path segment of a ``Location`` header (absolute or relative URL); None
    when there is none to be had (no header, no path, or not a URL at all)."""
    if not location:
        return None
    try:
        path = urlsplit(location.strip()).path
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    segments = [s for s in path.split("/") if s]
    job_id = unquote(segments[-1]) if segments else ""
    return job_id if job_id and job_id not in (".", "..") and len(job_id) <= 200 else None
