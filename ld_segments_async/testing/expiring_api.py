"""Expiring targets of a segment: ``.../expiring-targets/{env}`` and the user variant.

Unlike segment patches these apply partially: a well-formed request answers 200, keeps
the instructions that worked and lists the others in ``errors`` (0-based indexes).
"""

from __future__ import annotations

from typing import Any

from .call import Call
from .replies import Reply, bad_request, json_reply
from .segment import ExpiringEntry, Segment
from .segments_api import SEMANTIC_PATCH, is_semantic

_CONTEXT_KINDS = ("addExpiringTarget", "updateExpiringTarget", "removeExpiringTarget")
_USER_KINDS = (
    "addExpireUserTargetDate",
    "updateExpireUserTargetDate",
    "removeExpireUserTargetDate",
)


class _Failed(Exception):
    """One instruction could not be applied; the others still are."""


async def get_expiring_targets(call: Call) -> Reply:
    """``GET .../expiring-targets/{env}``: ``ExpiringTargetGetResponse``."""
    return json_reply(200, _listing(call, call.segment(), users=False))


async def get_expiring_user_targets(call: Call) -> Reply:
    """``GET .../expiring-user-targets/{env}``: ``ExpiringUserTargetGetResponse``."""
    return json_reply(200, _listing(call, call.segment(), users=True))


async def patch_expiring_targets(call: Call) -> Reply:
    """``PATCH .../expiring-targets/{env}``: ``ExpiringTargetPatchResponse``."""
    return _patch(call, users=False)


async def patch_expiring_user_targets(call: Call) -> Reply:
    """``PATCH .../expiring-user-targets/{env}``: ``ExpiringUserTargetPatchResponse``."""
    return _patch(call, users=True)


def _patch(call: Call, *, users: bool) -> Reply:
    segment = call.segment()
    if not is_semantic(call):
        raise bad_request(f"Expiring targets take a semantic patch ({SEMANTIC_PATCH})")
    instructions = call.json_object().get("instructions")
    if not isinstance(instructions, list) or not instructions:
        raise bad_request("instructions must be a non-empty list")
    for index, instruction in enumerate(instructions):
        _check_shape(index, instruction, users)
    errors = []
    for index, instruction in enumerate(instructions):
        try:
            _apply(call, segment, instruction, users)
        except _Failed as exc:
            errors.append({"instructionIndex": index, "message": str(exc)})
    succeeded = len(instructions) - len(errors)
    if succeeded:
        name = "patch_expiring_user_targets" if users else "patch_expiring_targets"
        call.store.side_effects[name] += 1
    return json_reply(
        200,
        {
            **_listing(call, segment, users=users),
            "totalInstructions": len(instructions),
            "successfulInstructions": succeeded,
            "failedInstructions": len(errors),
            "errors": errors,
        },
    )


def _check_shape(index: int, instruction: Any, users: bool) -> None:
    """400 for an instruction that does not fit the request schema at all."""
    kinds = _USER_KINDS if users else _CONTEXT_KINDS
    if not isinstance(instruction, dict) or instruction.get("kind") not in kinds:
        raise bad_request(f"Instruction {index}: kind must be one of {', '.join(kinds)}")
    if instruction.get("targetType") not in ("included", "excluded"):
        raise bad_request(f"Instruction {index}: targetType must be included or excluded")
    for name in ("userKey",) if users else ("contextKey", "contextKind"):
        if not isinstance(instruction.get(name), str) or not instruction[name]:
            raise bad_request(f"Instruction {index}: {name} must be a non-empty string")
    for name in ("value", "version"):
        value = instruction.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise bad_request(f"Instruction {index}: {name} must be an integer")


def _apply(call: Call, segment: Segment, instruction: dict[str, Any], users: bool) -> None:
    kind = instruction["kind"]
    target_type = instruction["targetType"]
    context_kind = "user" if users else instruction["contextKind"]
    key = instruction["userKey"] if users else instruction["contextKey"]
    ref = (target_type, context_kind, key)
    entry = segment.expiring.get(ref)
    if kind.startswith("remove"):
        if entry is None:
            raise _Failed(f"{key!r} has no scheduled removal from {target_type} targets")
        del segment.expiring[ref]
        return
    value = instruction.get("value")
    if value is None:
        raise _Failed("value (Unix milliseconds) is required")
    if not segment.has_target(target_type, context_kind, key):
        raise _Failed(f"{key!r} is not an {target_type} {context_kind} target of this segment")
    if kind.startswith("add"):
        if entry is not None:
            raise _Failed(f"{key!r} already has a scheduled removal; update it instead")
        segment.expiring[ref] = ExpiringEntry(call.store.ids.uuid(), 1, value)
        return
    if entry is None:
        raise _Failed(f"{key!r} has no scheduled removal to update")
    _check_version(segment, entry, instruction.get("version"), users)
    entry.expiration_date = value
    entry.version += 1


def _check_version(segment: Segment, entry: ExpiringEntry, version: Any, users: bool) -> None:
    # The user variant asks for the segment's version, the context one for the entry's.
    if users:
        if version is None:
            raise _Failed("version (the segment version) is required")
        if version != segment.doc["version"]:
            raise _Failed(f"version {version} is not the segment version {segment.doc['version']}")
    elif version is not None and version != entry.version:
        raise _Failed(f"version {version} is not the expiring target version {entry.version}")


def _listing(call: Call, segment: Segment, *, users: bool) -> dict[str, Any]:
    resource = {
        "environmentKey": segment.environment_key,
        "key": segment.key,
        "kind": "segment",
        "projectKey": segment.project_key,
    }
    items = []
    for (target_type, context_kind, key), entry in segment.expiring.items():
        if users and context_kind != "user":
            continue
        item: dict[str, Any] = {
            "_id": entry.id,
            "_version": entry.version,
            "expirationDate": entry.expiration_date,
        }
        item.update({"userKey": key} if users else {"contextKind": context_kind, "contextKey": key})
        item["targetType"] = target_type
        item["_resourceId"] = dict(resource)
        items.append(item)
    self_link = {"href": call.request.raw_path.partition("?")[0], "type": "application/json"}
    return {"items": items, "_links": {"self": self_link}}
