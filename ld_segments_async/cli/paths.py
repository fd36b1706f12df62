"""File names built from keys the server sends: never a path of the server's choosing.

``export --all-envs`` names its files after environment keys that come from the
server; a key such as ``../../x`` or ``/etc/x`` must not choose where a file goes.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["export_paths", "safe_name"]

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(key: str) -> str:
    """``key`` if it is a plain file name (letters, digits, ``.``, ``_``, ``-``, not
    leading with a dot, at most 100 characters); otherwise its safe characters plus a
    hash of the whole key, so that distinct keys keep distinct names."""
    if _SAFE.match(key):
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    readable = _UNSAFE_CHARS.sub("_", key).strip("._-")[:60]
    return f"{readable}-{digest}" if readable else digest


def export_paths(folder: Path, envs: list[str], segment: str) -> dict[str, Path]:
    """The file of each environment's export, all directly inside ``folder``.

    Raises:
        ValueError: two environments would share a file (nothing is exported).
    """
    paths = {env: folder / f"{safe_name(env)}-{safe_name(segment)}.csv" for env in envs}
    owners: dict[Path, str] = {}
    for env, path in paths.items():
        assert path.parent == folder, path  # a safe name has no separator
        assert path.name not in ("", ".", ".."), path
        if path in owners:
            raise ValueError(
                f"environments {owners[path]!r} and {env!r} would both be exported to {path}"
            )
        owners[path] = env
    return paths
