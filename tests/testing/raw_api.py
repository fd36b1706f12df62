"""Raw HTTP helpers for the fake's tests: paths go out exactly as written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

TOKEN = "fake-suite-token-0f1e2d3c"
SEMANTIC = "application/json; domain-model=launchdarkly.semanticpatch"
P, E = "default", "production"
SEGMENTS = f"/api/v2/segments/{P}/{E}"


def enc(key: str) -> str:
    """Percent-encode one path segment."""
    return quote(key, safe="")


@dataclass
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """Raw HTTP against the fake; paths are sent exactly as given (already encoded)."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        url = URL(path if path.startswith("http") else self.base + path, encoded=True)
        async with self.session.request(
            method, url, json=json_body, data=data, headers=headers
        ) as response:
            return Answer(response.status, response.headers, await response.read())

    async def get(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return await self.request("POST", path, json_body=body, **kwargs)

    async def patch(self, path: str, body: Any, **kwargs: Any) -> Answer:
        return await self.request("PATCH", path, json_body=body, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("DELETE", path, **kwargs)

    async def semantic(self, path: str, body: Any) -> Answer:
        """PATCH with the semantic-patch content type."""
        return await self.request(
            "PATCH", path, data=json.dumps(body), headers={"Content-Type": SEMANTIC}
        )
