"""JSON patch (RFC 6902) and JSON merge patch (RFC 7386) over plain JSON values."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .replies import ApiError, bad_request

Writable = Callable[[list[str]], bool]
_MISSING = object()


def parse_pointer(pointer: Any) -> list[str]:
    """The reference tokens of a JSON pointer (``~1`` is ``/``, ``~0`` is ``~``).

    Raises:
        ApiError: 400 for something that is not a JSON pointer.
    """
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise bad_request(f"Invalid JSON pointer {pointer!r}")
    if not pointer:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def apply_patch(document: Any, operations: list[Any], writable: Writable) -> Any:
    """Apply RFC 6902 ``operations`` to a deep copy of ``document``.

    Args:
        document: the JSON value to patch (left untouched).
        operations: the patch operations.
        writable: tells whether a path (its tokens) may be changed; ``test`` may read any.

    Raises:
        ApiError: 400 for a malformed or inapplicable operation or a read-only path;
            409 ``optimistic_locking_error`` when a ``test`` fails.
    """
    result = copy.deepcopy(document)
    for index, operation in enumerate(operations):
        try:
            result = _apply_one(result, operation, writable)
        except ApiError as exc:
            exc.message = f"Patch operation {index}: {exc.message}"
            raise
    return result


def _apply_one(doc: Any, operation: Any, writable: Writable) -> Any:
    if not isinstance(operation, dict):
        raise bad_request("must be an object")
    op = operation.get("op")
    path = parse_pointer(operation.get("path"))
    if op == "test":
        if not _json_equal(_get(doc, path), _value(operation)):
            code = "optimistic_locking_error"
            raise ApiError(409, f"test failed at {operation['path']!r}", code=code)
        return doc
    if op not in ("add", "remove", "replace", "move", "copy"):
        raise bad_request(f"unknown op {op!r}")
    if not writable(path):
        raise bad_request(f"{operation['path']!r} is not editable")
    if op in ("move", "copy"):
        source = parse_pointer(operation.get("from"))
        value = copy.deepcopy(_get(doc, source))
        if op == "move":
            if not writable(source):
                raise bad_request(f"{operation['from']!r} is not editable")
            if path[: len(source)] == source and len(path) > len(source):
                raise bad_request("cannot move a value into itself")
            doc = _remove(doc, source)
        return _add(doc, path, value)
    if op == "remove":
        return _remove(doc, path)
    if op == "replace":
        _get(doc, path)
        doc = _remove(doc, path)
    return _add(doc, path, copy.deepcopy(_value(operation)))


def _value(operation: dict[str, Any]) -> Any:
    if "value" not in operation:
        raise bad_request(f"{operation['op']} needs a value")
    return operation["value"]


def _get(doc: Any, path: list[str]) -> Any:
    for part in path:
        if isinstance(doc, dict):
            doc = doc.get(part, _MISSING)
        elif isinstance(doc, list):
            index = _index(part, len(doc) - 1)
            doc = doc[index]
        else:
            doc = _MISSING
        if doc is _MISSING:
            raise bad_request(f"path {_render(path)!r} does not exist")
    return doc


def _add(doc: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent = _get(doc, path[:-1])
    part = path[-1]
    if isinstance(parent, dict):
        parent[part] = value
    elif isinstance(parent, list):
        parent.insert(len(parent) if part == "-" else _index(part, len(parent)), value)
    else:
        raise bad_request(f"path {_render(path)!r} has no container")
    return doc


def _remove(doc: Any, path: list[str]) -> Any:
    if not path:
        raise bad_request("cannot remove the whole document")
    parent = _get(doc, path[:-1])
    part = path[-1]
    if isinstance(parent, dict) and part in parent:
        del parent[part]
    elif isinstance(parent, list):
        del parent[_index(part, len(parent) - 1)]
    else:
        raise bad_request(f"path {_render(path)!r} does not exist")
    return doc


def _index(part: str, highest: int) -> int:
    if not part.isdigit() or (part != "0" and part.startswith("0")):
        raise bad_request(f"{part!r} is not an array index")
    index = int(part)
    if index > highest:
        raise bad_request(f"array index {index} is out of range")
    return index


def _render(path: list[str]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def _json_equal(left: Any, right: Any) -> bool:
    # Python says True == 1; JSON does not.
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    return bool(left == right)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``null`` removes a member, objects merge, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result
