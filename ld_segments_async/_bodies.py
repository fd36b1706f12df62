"""JSON request bodies: models or dicts in, bytes and a content type out.

``patch_segment`` accepts three patch formats; which one a value is follows from its
type (or, for plain dicts and lists, from its keys), and the semantic format gets the
content type LaunchDarkly requires for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from . import _json
from .converter import converter
from .instructions import Instruction
from .models import (
    MergePatch,
    PatchOperation,
    PatchSegmentExpiringTargetInputRep,
    PatchSegmentRequest,
    PatchWithComment,
    SemanticPatch,
)

__all__ = [
    "JSON",
    "SEMANTIC_PATCH",
    "ExpiringTargetsPatch",
    "ExpiringUserTargetsPatch",
    "SegmentPatch",
    "dump",
    "expiring_targets_patch",
    "segment_patch",
    "to_json",
]

JSON = "application/json"
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"

SegmentPatch: TypeAlias = (
    Sequence[PatchOperation | Instruction | Mapping[str, Any]]
    | PatchWithComment
    | MergePatch
    | SemanticPatch
    | Mapping[str, Any]
)
"""What ``patch_segment`` takes: a list of JSON patch operations or of semantic-patch
instructions (not both), a :class:`PatchWithComment`, a :class:`MergePatch`, a
:class:`SemanticPatch`, or a dict (``{"patch": ...}``, ``{"instructions": ...}``,
``{"merge": ...}``, or a bare merge patch)."""

ExpiringTargetsPatch: TypeAlias = (
    Sequence[Instruction | Mapping[str, Any]]
    | SemanticPatch
    | PatchSegmentExpiringTargetInputRep
    | Mapping[str, Any]
)
"""What ``patch_expiring_targets_for_segment`` takes: instructions, as a list or
wrapped, or a dict with ``instructions``."""

ExpiringUserTargetsPatch: TypeAlias = (
    Sequence[Instruction | Mapping[str, Any]]
    | SemanticPatch
    | PatchSegmentRequest
    | Mapping[str, Any]
)
"""What the deprecated ``patch_expiring_user_targets_for_segment`` takes."""


def to_json(value: Any) -> Any:
    """A model or instruction (or a dict/list holding them) as JSON-ready data.

    Models of the official ``launchdarkly_api`` client (pydantic, with ``to_dict()``)
    are accepted too, which eases migrating code that builds them.
    """
    if isinstance(value, Instruction):
        return value.to_dict()
    if attrs.has(type(value)):
        return converter.unstructure(value)
    if _is_official_model(value):
        return to_json(value.to_dict())
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def _is_official_model(value: Any) -> bool:
    """A model of the official ``launchdarkly_api`` client (pydantic, with ``to_dict()``;
    ours have one too, and are not)."""
    return (
        callable(getattr(value, "to_dict", None))
        and not isinstance(value, Mapping)
        and not attrs.has(type(value))
    )


def dump(value: Any) -> bytes:
    """``value`` as JSON bytes.

    Raises:
        ValueError: it cannot be JSON (lone surrogates in a string, a non-string key...).
    """
    try:
        return _json.dumps(to_json(value))
    except (TypeError, ValueError) as error:
        raise ValueError(f"the request body cannot be sent as JSON: {error}") from None


def body_of(value: Any, model: type, what: str) -> bytes:
    """The JSON of a request body given as ``model``, a plain mapping, or an official
    client model."""
    if not isinstance(value, (model, Mapping)) and not _is_official_model(value):
        raise TypeError(f"{what} must be a {model.__name__} or a dict, got {type(value).__name__}")
    return dump(value)


def _is_instruction(item: Any) -> bool:
    kind = item.get("kind") if isinstance(item, Mapping) else getattr(item, "kind", None)
    return (
        isinstance(kind, str)
        and bool(kind)
        and (isinstance(item, Mapping) or attrs.has(type(item)))
    )


def _is_operation(item: Any) -> bool:
    if isinstance(item, PatchOperation):
        return True
    return isinstance(item, Mapping) and isinstance(item.get("op"), str) and "path" in item


def _instructions(items: Any) -> list[Any]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise TypeError("instructions must be a list")
    if not items:
        raise ValueError("a semantic patch needs at least one instruction")
    for index, item in enumerate(items):
        if not _is_instruction(item):
            raise ValueError(f"instruction #{index} has no 'kind': {item!r}")
    return [to_json(item) for item in items]


def _semantic(
    instructions: Any, comment: str | None, environment_key: str | None
) -> tuple[bytes, str]:
    body: dict[str, Any] = {}
    if environment_key is not None:
        body["environmentKey"] = environment_key
    body["instructions"] = _instructions(instructions)
    if comment is not None:
        body["comment"] = comment
    return dump(body), SEMANTIC_PATCH


def _check_environment(given: Any, environment_key: str) -> None:
    if given is not None and given != environment_key:
        raise ValueError(
            f"the semantic patch names environment {given!r} but the call targets "
            f"{environment_key!r}"
        )


def segment_patch(patch: Any, environment_key: str) -> tuple[bytes, str]:
    """Body and content type of a ``patch_segment`` call.

    * ``SemanticPatch``, a dict with ``instructions``, or a list of instructions: a
      semantic patch; ``environmentKey`` is filled in.
    * ``PatchWithComment``, a dict with ``patch``, or a list of operations: a JSON patch,
      sent as ``{"patch": [...]}`` like the official client does.
    * ``MergePatch`` or a dict with ``merge`` (``{"merge": ..., "comment": ...}``), or any
      other dict, sent as it is: a JSON merge patch (RFC 7386).
    """
    if _is_official_model(patch):
        patch = patch.to_dict()
    if isinstance(patch, SemanticPatch):
        _check_environment(patch.environment_key, environment_key)
        return _semantic(patch.instructions, patch.comment, environment_key)
    if isinstance(patch, (PatchWithComment, MergePatch)):
        return dump(patch), JSON
    if isinstance(patch, Mapping):
        if "instructions" in patch:
            _check_environment(patch.get("environmentKey"), environment_key)
            return _semantic(patch["instructions"], patch.get("comment"), environment_key)
        if not patch:
            raise ValueError("an empty merge patch changes nothing")
        return dump(patch), JSON  # {"patch": ...}, {"merge": ...} or a bare merge patch
    if isinstance(patch, Sequence) and not isinstance(patch, (str, bytes)):
        if not patch:
            raise ValueError("an empty patch changes nothing")
        if all(_is_operation(item) for item in patch):
            return dump({"patch": list(patch)}), JSON
        if all(_is_instruction(item) for item in patch):
            return _semantic(patch, None, environment_key)
        raise ValueError(
            "a patch list must hold only JSON patch operations ({'op', 'path'}) "
            "or only semantic-patch instructions ({'kind', ...})"
        )
    raise TypeError(f"unsupported patch type {type(patch).__name__}")


def expiring_targets_patch(patch: Any) -> tuple[bytes, str]:
    """Body and content type of an expiring-targets patch (always semantic)."""
    if isinstance(patch, (SemanticPatch, PatchSegmentExpiringTargetInputRep, PatchSegmentRequest)):
        return _semantic(patch.instructions, patch.comment, None)
    if isinstance(patch, Mapping):
        if "instructions" not in patch:
            raise ValueError("an expiring-targets patch needs 'instructions'")
        return _semantic(patch["instructions"], patch.get("comment"), None)
    return _semantic(patch, None, None)
