"""Big-segment members: batch updates and membership look-ups."""

from __future__ import annotations

from .call import Call
from .members import TARGET_TYPES, MemberChanges
from .replies import Reply, bad_request, empty_reply, json_reply
from .segment import Segment


def _big_segment(call: Call) -> Segment:
    segment = call.segment()
    if not segment.unbounded:
        raise bad_request("Only big (unbounded) segments support this operation")
    return segment


async def update_targets(call: Call) -> Reply:
    """``POST .../contexts`` and ``.../users``: a ``SegmentUserState``, answered 204.

    Within one list, ``add`` is applied before ``remove``.
    """
    segment = _big_segment(call)
    body = call.json_object()
    changes = MemberChanges(segment)
    for target_type in TARGET_TYPES:
        lists = body.get(target_type)
        if lists is None:
            continue
        if not isinstance(lists, dict):
            raise bad_request(f"{target_type} must be an object with add and remove lists")
        for action in ("add", "remove"):
            keys = lists.get(action) or []
            if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
                raise bad_request(f"{target_type}.{action} must be a list of keys")
            if action == "add":
                changes.add(target_type, keys)
            else:
                changes.remove(target_type, keys)
    conflicts = changes.conflicts()
    if conflicts:
        raise bad_request(f"Keys cannot be both included and excluded: {', '.join(conflicts[:10])}")
    if changes.commit():
        segment.prune_expiring()
        call.store.side_effects["update_big_segment_targets"] += 1
    return empty_reply(204)


async def membership(call: Call) -> Reply:
    """``GET .../contexts/{contextKey}`` and ``.../users/{userKey}``: a ``BigSegmentTarget``."""
    segment = _big_segment(call)
    key = call.params.get("contextKey") or call.params["userKey"]
    return json_reply(
        200,
        {
            "userKey": key,
            "included": key in segment.big_included,
            "excluded": key in segment.big_excluded,
        },
    )
