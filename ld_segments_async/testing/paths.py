"""Raw-path matching: keys with ``/``, ``%``, ``?``, ``#`` or ``..`` must round-trip.

aiohttp's router decodes and normalises the path before matching, which would turn a
segment key ``a%2Fb`` into two path segments. Here the still-encoded path is split on
``/`` first and only then is each segment percent-decoded.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from .replies import bad_request


def decode_segments(raw_path: str) -> list[str]:
    """Split a raw (percent-encoded) path into decoded segments, without the leading ``/``.

    Raises:
        ApiError: 400 when a segment is not valid UTF-8 once decoded.
    """
    try:
        return [unquote_to_bytes(part).decode() for part in raw_path.split("/")[1:]]
    except UnicodeDecodeError:
        raise bad_request("The request path is not valid UTF-8 once percent-decoded") from None


@lru_cache(maxsize=1 << 16)
def encode_segment(value: str) -> str:
    """Percent-encode one path segment (every reserved character, ``/`` included).

    Cached: every page of a list renders five hrefs per item (half of a list request's
    CPU time at 50 items a page without it).
    """
    return quote(value, safe="")


class Template:
    """A path template such as ``/api/v2/segments/{projectKey}/{environmentKey}``."""

    __slots__ = ("parts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts = tuple(text.split("/")[1:])

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """The placeholder values when ``segments`` fit, else ``None``.

        An empty placeholder never matches: ``/segments/p/e/`` is not segment ``""``.
        """
        parts = self.parts
        if len(parts) != len(segments):
            return None
        params: dict[str, str] = {}
        for part, value in zip(parts, segments, strict=True):
            if part.startswith("{"):
                if not value:
                    return None
                params[part[1:-1]] = value
            elif part != value:
                return None
        return params

    def render(self, **params: str) -> str:
        """The raw path for these values, each segment percent-encoded."""
        rendered = [
            encode_segment(params[part[1:-1]]) if part.startswith("{") else part
            for part in self.parts
        ]
        return "/" + "/".join(rendered)
