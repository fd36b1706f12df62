"""What a route handler receives."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .replies import Reply, bad_request
from .segment import Segment
from .store import Environment, Store

if TYPE_CHECKING:
    from .server import FakeLaunchDarkly


@dataclass
class Call:
    """One matched API request: decoded path parameters, query and (small) body."""

    request: web.BaseRequest
    fake: FakeLaunchDarkly
    store: Store
    params: dict[str, str]
    query: dict[str, str]
    raw_query: str
    body: bytes
    # Filled by handlers that stream the body themselves, for the exchange record.
    upload_head: bytearray = field(default_factory=bytearray)

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ApiError: 400 when it is missing or not JSON.
        """
        try:
            return json.loads(self.body)
        except ValueError:
            raise bad_request("The request body is not valid JSON") from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; 400 for anything else."""
        payload = self.json()
        if not isinstance(payload, dict):
            raise bad_request("The request body must be a JSON object")
        return payload

    def environment(self) -> Environment:
        return self.store.environment(self.params["projectKey"], self.params["environmentKey"])

    def segment(self) -> Segment:
        p = self.params
        return self.store.segment(p["projectKey"], p["environmentKey"], p["segmentKey"])

    def flag(self, name: str) -> bool | None:
        """A boolean query parameter (``true``/``false``), ``None`` when absent.

        Raises:
            ApiError: 400 for any other value.
        """
        value = self.query.get(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise bad_request(f"Query parameter {name} must be true or false")
        return value.lower() == "true"


Handler = Callable[[Call], Awaitable[Reply]]
