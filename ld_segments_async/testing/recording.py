"""The record of each request the fake answered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAX_RECORDED_BODY = 64 * 1024
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as the fake saw them.

    Attributes:
        method: the HTTP method (the one tunnelled in ``X-HTTP-Method-Override``, if any).
        route: the path template matched, or ``None`` (unknown path, file download).
        path: the raw, still percent-encoded path, without the query.
        query: the decoded query parameters (the last value of a repeated name).
        request_headers: a copy, ``Authorization`` replaced by ``"<redacted>"``.
        had_authorization: whether the request carried ``Authorization``.
        request_content_type: the request's ``Content-Type``, if any.
        request_body: the first 64 KiB of the body (empty for streamed multipart uploads).
        status: the status sent, or 0 when the connection was dropped unanswered.
        response_headers: the headers sent.
        response_body: the JSON body sent, ``b""`` for an empty one, ``None`` for anything
            else (HTML, CSV, a cut-off body).
    """

    method: str
    route: str | None
    path: str
    query: dict[str, str]
    request_headers: dict[str, str]
    had_authorization: bool
    request_content_type: str | None
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes | None


def redacted_headers(headers: Mapping[str, str]) -> tuple[dict[str, str], bool]:
    """A copy of ``headers`` safe to keep, and whether ``Authorization`` was there."""
    copy: dict[str, str] = {}
    had_authorization = False
    for name, value in headers.items():
        if name.lower() == "authorization":
            had_authorization = True
            value = REDACTED
        copy[name] = value
    return copy, had_authorization
