"""JSON in and out: msgspec when it is installed (it is a dependency), else the stdlib.

Decoding is the dominant cost of big responses: a segment of 15,000 keys parses about
1.6x faster with msgspec than with ``json`` (benchmarks/RESULTS.md). Bad input raises
``ValueError`` either way, nesting too deep included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "loads"]

_decode: Callable[[bytes], Any]
_encode: Callable[[Any], bytes]

try:
    import msgspec.json
except ImportError:  # a platform without msgspec wheels
    _decode = json.loads

    def _encode(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

else:
    _decode = msgspec.json.Decoder().decode
    _encode = msgspec.json.Encoder().encode


def loads(data: bytes) -> Any:
    try:
        return _decode(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def dumps(value: Any) -> bytes:
    return _encode(value)
