"""JSON in and out: orjson when it is installed (it is a dependency), else the stdlib.

Decoding is the dominant cost of big responses: a segment of 15,000 keys parses about
1.5x faster with orjson (benchmarks/RESULTS.md). Both raise ``ValueError`` on bad input.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps", "loads"]

try:
    import orjson
except ImportError:  # a platform without orjson wheels

    def loads(data: bytes) -> Any:
        return json.loads(data)

    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

else:

    def loads(data: bytes) -> Any:
        return orjson.loads(data)

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)
