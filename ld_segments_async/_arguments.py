"""Arguments checked and turned into what the requests need, before any is sent.

Every operation runs its arguments through these first, so that a bad one is a
``TypeError`` or ``ValueError`` naming it, and nothing reaches LaunchDarkly (a
``poll=0.2`` never fails after an upload went out).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from ._sinks import check_destination
from .config import Timeout
from .filters import Filter, Sort
from .jobs import DEFAULT_POLL, PollSchedule
from .models import Export, ImportMode

__all__ = [
    "callback",
    "destination",
    "export",
    "flag",
    "import_mode",
    "mapping",
    "page",
    "poll_schedule",
    "query",
    "seconds",
    "segment_query",
    "text_or",
    "timeout",
    "wait",
]

F = TypeVar("F", bound=Callable[..., object])


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def timeout(value: Timeout | float | None) -> Timeout:
    """A client's or a view's ``timeout=``: a :class:`Timeout`, or seconds for connect,
    read and each attempt."""
    if value is None:
        return Timeout()
    if isinstance(value, Timeout):
        return value
    if not _is_number(value):
        raise TypeError(f"timeout must be a Timeout or a number of seconds, got {value!r}")
    return Timeout(connect=value, read=value, total=value)


def seconds(value: float | None, name: str) -> float | None:
    """A wait's ``timeout=``: a positive number of seconds, or None for no limit."""
    if value is None:
        return None
    if not _is_number(value) or math.isnan(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return value


def flag(value: bool | None, name: str, *, optional: bool = True) -> None:
    """A ``True``/``False`` argument (or None when ``optional``): no truthy stand-ins."""
    if value is None and optional:
        return
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def callback(value: F | None, name: str) -> F | None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__}")
    return value


def poll_schedule(value: PollSchedule | float | None) -> PollSchedule:
    """``poll=``: a :class:`PollSchedule`, or seconds for the first wait (growing 1.5x up
    to 30 s, or to the number itself if it is larger), as ``ld-segments --poll`` takes."""
    if value is None:
        return DEFAULT_POLL
    if isinstance(value, PollSchedule):
        return value
    if not _is_number(value):
        raise TypeError(f"poll must be a PollSchedule or a number of seconds, got {value!r}")
    if not 0 < value < math.inf:
        raise ValueError(f"poll must be a positive number of seconds, got {value!r}")
    return PollSchedule(first=value, cap=max(value, DEFAULT_POLL.cap))


def wait(
    timeout: float | None, on_progress: F | None, poll: PollSchedule | float | None
) -> tuple[float | None, F | None, PollSchedule]:
    """The arguments of a job wait: ``timeout``, ``on_progress`` and ``poll``, checked."""
    return seconds(timeout, "timeout"), callback(on_progress, "on_progress"), poll_schedule(poll)


def export(value: object) -> None:
    if not isinstance(value, Export):
        raise TypeError(
            f"export must be an Export (from wait_for_big_segment_export), got "
            f"{type(value).__name__}"
        )


def import_mode(mode: str) -> str:
    try:
        return ImportMode(mode).value
    except ValueError:
        raise ValueError(f"mode must be 'merge' or 'replace', got {mode!r}") from None


def page(limit: int | None, offset: int | None) -> None:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    if offset is not None and (
        not isinstance(offset, int) or isinstance(offset, bool) or offset < 0
    ):
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")


def text_or(value: object, kinds: tuple[type, ...], name: str, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, *kinds)):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return str(value)


def segment_query(
    limit: int | None, offset: int | None, sort: str | Sort | None, filter: str | Filter | None
) -> str:
    """The query of a list-segments request."""
    page(limit, offset)
    return query(
        limit=limit,
        offset=offset,
        sort=text_or(sort, (Sort,), "sort", "a str or filters.sort_by(...)"),
        filter=text_or(filter, (Filter,), "filter", "a str or a filters expression"),
    )


def query(**params: Any) -> str:
    present = {name: _query_value(value) for name, value in params.items() if value is not None}
    return urlencode(present, quote_via=quote)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def destination(path: str | os.PathLike[str]) -> None:
    """A download's destination: a file name in a folder that exists.

    Raises:
        TypeError: not a path.
        FileNotFoundError: the folder does not exist.
        IsADirectoryError: the destination is a folder.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    check_destination(path)


def mapping(value: Mapping[str, Any], name: str) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict, got {type(value).__name__}")
