"""Making server-provided text safe to print: no control character reaches a terminal.

A segment name, an environment key or an error message comes from the server; printed
raw, an ANSI escape in it could clear the screen, rewrite earlier lines or forge a
prompt, and a newline could forge a line of output. Control characters (C0, DEL, C1),
line and paragraph separators, bidirectional overrides and lone surrogates are written
as escapes instead.
"""

from __future__ import annotations

import re

__all__ = ["printable", "safe_json"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# json.dumps escapes C0 itself (and writes the newlines of its own indentation).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\n``)."""
    return _UNSAFE.sub(_escape, text)


def safe_json(encoded: str) -> str:
    """JSON text with the control characters ``json.dumps`` leaves raw (DEL, C1,
    separators, overrides) written as ``\\u`` escapes: the same JSON value, safe to print."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match[0]):04x}", encoded)
