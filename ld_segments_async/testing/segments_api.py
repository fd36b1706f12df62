"""List, get, create, patch and delete segments."""

from __future__ import annotations

from typing import Any

from .call import Call
from .ids import now_ms
from .json_patch import apply_patch, merge_patch
from .paging import page_window, paged
from .replies import ApiError, Reply, bad_request, empty_reply, json_reply
from .segment import EDITABLE_FIELDS, Segment, collection_href, normalize_rules, validate_document
from .segment_filter import parse_filter
from .semantic_patch import plan

SEMANTIC_PATCH = "domain-model=launchdarkly.semanticpatch"
_SORT_FIELDS = {"name": "name", "creationDate": "creationDate", "lastModified": "lastModifiedDate"}
_BODY_FIELDS = {
    "key": str,
    "name": str,
    "description": str,
    "tags": list,
    "unbounded": bool,
    "unboundedContextKind": str,
}


def is_semantic(call: Call) -> bool:
    """Whether the request says ``domain-model=launchdarkly.semanticpatch``."""
    content_type = call.request.headers.get("Content-Type", "")
    return SEMANTIC_PATCH in content_type.replace(" ", "").lower()


async def list_segments(call: Call) -> Reply:
    """``GET /segments/{p}/{e}``: filter, then sort, then one page."""
    environment = call.environment()
    segments = list(environment.segments.values())
    if call.query.get("filter"):
        predicate = parse_filter(call.query["filter"])
        segments = [segment for segment in segments if predicate(segment)]
    for name, descending in reversed(_sort_order(call.query.get("sort"))):
        segments.sort(key=lambda segment: segment.doc[name], reverse=descending)
    limit, offset = page_window(call.query, call.fake.max_page_size)
    path = collection_href(call.params["projectKey"], call.params["environmentKey"])
    page, links = paged(segments, path, call.query, limit, offset)
    items = [s.render(import_in_progress=environment.import_in_progress(s.key)) for s in page]
    return json_reply(200, {"items": items, "_links": links, "totalCount": len(segments)})


def _sort_order(sort: str | None) -> list[tuple[str, bool]]:
    order = []
    for raw in (sort or "").split(","):
        name = raw.strip()
        if not name:
            continue
        descending = name.startswith("-")
        field = _SORT_FIELDS.get(name.lstrip("-"))
        if field is None:
            raise bad_request(f"Cannot sort by {name!r}; use name, creationDate or lastModified")
        order.append((field, descending))
    return order


async def get_segment(call: Call) -> Reply:
    """``GET /segments/{p}/{e}/{s}``, with ``_flags``."""
    segment = call.segment()
    in_progress = call.environment().import_in_progress(segment.key)
    return json_reply(200, segment.render(import_in_progress=in_progress, flags=True))


async def create_segment(call: Call) -> Reply:
    """``POST /segments/{p}/{e}``: 201, or 409 ``key_exists`` for a duplicate key."""
    environment = call.environment()
    body = call.json_object()
    for name, kind in _BODY_FIELDS.items():
        if name in body and not isinstance(body[name], kind):
            raise bad_request(f"{name} must be a {kind.__name__}")
    for name in ("key", "name"):
        if not body.get(name):
            raise bad_request(f"{name} is required")
    if not all(isinstance(tag, str) for tag in body.get("tags", [])):
        raise bad_request("tags must be a list of strings")
    if body["key"] in environment.segments:
        raise ApiError(409, "Duplicate segment key", code="key_exists")
    fields = {name: body[name] for name in _BODY_FIELDS if name in body}
    try:
        segment = call.store.create_segment(call.params["projectKey"], environment.key, fields)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    call.store.side_effects["create_segment"] += 1
    return json_reply(201, segment.render())


async def delete_segment(call: Call) -> Reply:
    """``DELETE /segments/{p}/{e}/{s}``: 204.

    Answers 409 ``conflict`` while an import of the segment runs: LaunchDarkly documents
    a 409 here without its cause, and this is the fake's choice of one.
    """
    environment = call.environment()
    segment = call.segment()
    if environment.import_in_progress(segment.key):
        raise ApiError(409, "An import of this segment is in progress", code="conflict")
    del environment.segments[segment.key]
    call.store.side_effects["delete_segment"] += 1
    return empty_reply(204)


async def patch_segment(call: Call) -> Reply:
    """``PATCH /segments/{p}/{e}/{s}``: JSON patch, merge patch or semantic patch.

    ``dryRun=true`` answers the preview and keeps nothing. A patch that changes nothing
    leaves ``version`` alone.
    """
    environment = call.environment()
    segment = call.segment()
    dry_run = bool(call.flag("dryRun"))
    payload = call.json()
    members_changed = False
    if is_semantic(call):
        draft = plan(call.store, segment, _instructions(call, payload))
        doc = draft.doc
        pending = bool(draft.imports_to_start)
        if not dry_run:
            members_changed = draft.members.commit()
            for job in draft.imports_to_start:
                job.status = "in_progress"
    else:
        in_progress = environment.import_in_progress(segment.key)
        doc = _patched_doc(call, segment, segment.render(import_in_progress=in_progress), payload)
        pending = False
    changed = doc != segment.doc or members_changed or pending
    if changed:
        doc["version"] = segment.doc["version"] + 1
        doc["lastModifiedDate"] = now_ms()
    result = segment.with_doc(doc)
    if not dry_run and changed:
        segment.doc = doc
        segment.prune_expiring()
        call.store.side_effects["patch_segment"] += 1
        result = segment
    in_progress = environment.import_in_progress(segment.key)
    return json_reply(200, result.render(import_in_progress=in_progress, flags=True))


def _instructions(call: Call, payload: Any) -> Any:
    if not isinstance(payload, dict):
        raise bad_request("A semantic patch must be a JSON object")
    environment_key = payload.get("environmentKey")
    if not isinstance(environment_key, str) or not environment_key:
        raise bad_request("environmentKey is required in a semantic patch")
    if environment_key != call.params["environmentKey"]:
        raise bad_request("environmentKey does not match the environment in the path")
    return payload.get("instructions")


def _writable(path: list[str]) -> bool:
    return bool(path) and path[0] in EDITABLE_FIELDS


def _patched_doc(
    call: Call, segment: Segment, current: dict[str, Any], payload: Any
) -> dict[str, Any]:
    if isinstance(payload, dict) and "instructions" in payload and "patch" not in payload:
        raise bad_request(
            "This looks like a semantic patch: send it with Content-Type "
            f"application/json; {SEMANTIC_PATCH}"
        )
    if isinstance(payload, list) or (isinstance(payload, dict) and "patch" in payload):
        operations = payload if isinstance(payload, list) else payload["patch"]
        if not isinstance(operations, list):
            raise bad_request("patch must be a list of operations")
        result = apply_patch(current, operations, _writable)
    elif isinstance(payload, dict) and payload:
        # A merge patch, with a comment ({"merge": ..., "comment": ...}) or bare (RFC 7386).
        merge = payload.get("merge", payload)
        if not isinstance(merge, dict):
            raise bad_request("merge must be a JSON object")
        fixed = sorted(name for name in merge if not _writable([name]))
        if fixed:
            raise bad_request(f"Not editable: {', '.join(fixed)}")
        result = merge_patch(current, merge)
    else:
        raise bad_request("Expected a JSON patch, a JSON merge patch or a semantic patch")
    if not isinstance(result, dict):
        raise ApiError(422, "The patch does not leave a segment")
    problem = validate_document(result)
    if problem:
        raise ApiError(422, problem)
    doc = dict(segment.doc)
    for name in EDITABLE_FIELDS:
        if result.get(name) is not None:
            doc[name] = result[name]
        elif name in ("included", "excluded", "includedContexts", "excludedContexts"):
            doc.pop(name, None)
            if not segment.unbounded:
                doc[name] = []
        else:
            doc.pop(name, None)
    normalize_rules(doc["rules"], call.store.ids.uuid)
    return doc
