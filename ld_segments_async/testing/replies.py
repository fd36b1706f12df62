"""What a handler hands back, and LaunchDarkly's error shape."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json"

_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "unprocessable_entity",
    429: "rate_limited",
}


@dataclass
class Reply:
    """One HTTP answer before it is written.

    A JSON or empty answer has its bytes in ``body``; a download streams ``chunks`` of
    ``length`` bytes in total.
    """

    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None
    length: int | None = None

    @property
    def is_json(self) -> bool:
        return self.content_type is not None and self.content_type.startswith(JSON_TYPE)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    """Encode ``payload`` compactly; every JSON answer of the fake goes through here."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, JSON_TYPE, dict(headers or {}))


def empty_reply(status: int, headers: dict[str, str] | None = None) -> Reply:
    """An answer without a body (204s, export creation)."""
    return Reply(status, b"", None, dict(headers or {}))


def code_for(status: int) -> str:
    """LaunchDarkly's error ``code`` for a status."""
    if status >= 500:
        return "internal_server_error"
    return _CODES.get(status, "invalid_request")


def error_payload(code: str, message: str) -> dict[str, str]:
    """``{code, message, id}`` with a fresh correlation id, as LaunchDarkly sends."""
    return {"code": code, "message": message, "id": str(uuid.uuid4())}


class ApiError(Exception):
    """Raised anywhere in a handler to answer with LaunchDarkly's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or code_for(status)
        self.message = message
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        return json_reply(self.status, error_payload(self.code, self.message), self.headers)


def bad_request(message: str) -> ApiError:
    """400 ``invalid_request``."""
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    """404 ``not_found``."""
    return ApiError(404, message)
