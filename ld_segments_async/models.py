"""Typed models of the LaunchDarkly Segments API, named as upstream.

Attributes are the upstream snake_case names; the JSON spelling (camelCase, and the
leading underscore of read-only fields such as ``_links``) is the converter's business
(:mod:`ld_segments_async.converter`). Models hold no wire logic beyond marking which
JSON names carry that leading underscore.

One rule for optional fields: **a field typed ``X | None`` is one LaunchDarkly's spec
lets its JSON leave out, and it is ``None`` exactly when the JSON left it out** (its
default, and left out again by ``to_dict()`` and request bodies); a field typed without
``None`` is one the spec requires, always there in an answer (``UserSegment.tags`` is
``list[str]``: an untagged segment has ``[]``). Some required fields still have a
default, to build request bodies with (``Clause.negate=False``). A field typed ``Any``
holds any JSON value, ``null`` included, and is unset when ``...``
(``PatchOperation.value``). The suite checks every model against the spec by this rule.

Decoding is forward compatible: fields LaunchDarkly adds later land in ``extra`` (a
mapping of the raw JSON values, sent back when the model is encoded), and enum-like
strings stay plain ``str`` so new values never break a call. Timestamps are Unix epoch
milliseconds (``int``), as LaunchDarkly sends them.

Every model has ``to_dict()`` (its JSON, with LaunchDarkly's names, ``extra``
included), the classmethod ``from_dict(data)`` (``Model.from_dict(m.to_dict()) ==
m``), and a short ``repr()``: unset fields are left out and lists or dicts of more
than ten items summarised (``included=[15000 items]``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from attrs import define, field

from ._model import NO_EXTRA, Model, extra_field, underscored  # noqa: F401 - NO_EXTRA: pickles name it here

__all__ = [
    "Access",
    "AccessAllowedReason",
    "AccessAllowedRep",
    "AccessDenied",
    "AccessDeniedReason",
    "ApprovalSettings",
    "BigSegmentTarget",
    "Clause",
    "ContextInstance",
    "ContextInstanceSegmentMembership",
    "ContextInstanceSegmentMemberships",
    "Environment",
    "Environments",
    "ExpiringTarget",
    "ExpiringTargetError",
    "ExpiringTargetGetResponse",
    "ExpiringTargetPatchResponse",
    "ExpiringUserTargetGetResponse",
    "ExpiringUserTargetItem",
    "ExpiringUserTargetPatchResponse",
    "Export",
    "FileRep",
    "FlagListingRep",
    "Import",
    "ImportMode",
    "ImportStatus",
    "InitiatorRep",
    "Link",
    "MergePatch",
    "Model",
    "PatchOperation",
    "PatchSegmentExpiringTargetInputRep",
    "PatchSegmentExpiringTargetInstruction",
    "PatchSegmentInstruction",
    "PatchSegmentRequest",
    "PatchWithComment",
    "ResourceIDResponse",
    "ResourceId",
    "SegmentBody",
    "SegmentMetadata",
    "SegmentTarget",
    "SegmentUserList",
    "SegmentUserState",
    "SemanticPatch",
    "UserSegment",
    "UserSegmentRule",
    "UserSegments",
]

ContextInstance = dict[str, Any]
"""A context instance: ``{"kind": "user", "key": "...", ...}`` or a multi-kind context."""


class ImportStatus(str, enum.Enum):
    """Known values of :attr:`Import.status`. The attribute itself is a plain ``str``, so
    a status LaunchDarkly adds later still decodes; compare with ``==``."""

    PREPARING = "preparing"
    PENDING_APPROVAL = "pending_approval"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    STOPPED = "stopped"


class ImportMode(str, enum.Enum):
    """Big-segment import modes: ``merge`` adds keys, ``replace`` swaps the whole list."""

    MERGE = "merge"
    REPLACE = "replace"


@define(kw_only=True, repr=False)
class Link(Model):
    href: str | None = None
    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


# -- access and environments -------------------------------------------------


@define(kw_only=True, repr=False)
class AccessDeniedReason(Model):
    effect: str
    resources: list[str] | None = None
    not_resources: list[str] | None = None
    actions: list[str] | None = None
    not_actions: list[str] | None = None
    role_name: str | None = field(default=None, metadata={"wire": "role_name"})
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class AccessAllowedReason(Model):
    effect: str
    resources: list[str] | None = None
    not_resources: list[str] | None = None
    actions: list[str] | None = None
    not_actions: list[str] | None = None
    role_name: str | None = field(default=None, metadata={"wire": "role_name"})
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class AccessDenied(Model):
    action: str
    reason: AccessDeniedReason
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class AccessAllowedRep(Model):
    action: str
    reason: AccessAllowedReason
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class Access(Model):
    denied: list[AccessDenied]
    allowed: list[AccessAllowedRep]
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ApprovalSettings(Model):
    required: bool
    bypass_approvals_for_pending_changes: bool
    min_num_approvals: int
    can_review_own_request: bool
    can_apply_declined_changes: bool
    service_kind: str
    service_config: dict[str, Any]
    required_approval_tags: list[str]
    auto_apply_approved_changes: bool | None = None
    service_kind_configuration_id: str | None = None
    resource_kind: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class Environment(Model):
    """An environment of a project (from ``iter_environments``)."""

    links: dict[str, Link] = underscored()
    id: str = underscored()
    key: str
    name: str
    api_key: str = field(repr=False)
    mobile_key: str = field(repr=False)
    color: str
    default_ttl: int
    secure_mode: bool
    default_track_events: bool
    require_comments: bool
    confirm_changes: bool
    tags: list[str]
    critical: bool
    access: Access | None = underscored(default=None)
    approval_settings: ApprovalSettings | None = None
    resource_approval_settings: dict[str, ApprovalSettings] | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class Environments(Model):
    items: list[Environment]
    links: dict[str, Link] | None = underscored(default=None)
    total_count: int | None = None
    extra: Mapping[str, Any] = extra_field()


# -- segments ----------------------------------------------------------------


@define(kw_only=True, repr=False)
class Clause(Model):
    """One condition of a segment rule. ``op`` is lower-case (``in``, ``endsWith``...)."""

    attribute: str
    op: str
    values: list[Any]
    negate: bool = False
    context_kind: str | None = None
    id: str | None = underscored(default=None)
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class UserSegmentRule(Model):
    clauses: list[Clause]
    id: str | None = underscored(default=None)
    weight: int | None = None
    rollout_context_kind: str | None = None
    bucket_by: str | None = None
    description: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class SegmentTarget(Model):
    values: list[str] | None = None
    context_kind: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class FlagListingRep(Model):
    name: str
    key: str
    links: dict[str, Link] | None = underscored(default=None)
    site: Link | None = underscored(default=None)
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class SegmentMetadata(Model):
    env_id: str | None = None
    segment_id: str | None = None
    version: int | None = None
    included_count: int | None = None
    excluded_count: int | None = None
    last_modified: int | None = None
    deleted: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class UserSegment(Model):
    """A segment. ``included``/``excluded`` hold user keys; ``included_contexts`` and
    ``excluded_contexts`` hold keys by context kind. Big segments (``unbounded``) keep
    their members out of this representation."""

    key: str
    name: str
    tags: list[str]
    creation_date: int
    last_modified_date: int
    links: dict[str, Link] = underscored()
    rules: list[UserSegmentRule]
    version: int
    deleted: bool
    generation: int
    description: str | None = None
    included: list[str] | None = None
    excluded: list[str] | None = None
    included_contexts: list[SegmentTarget] | None = None
    excluded_contexts: list[SegmentTarget] | None = None
    access: Access | None = underscored(default=None)
    flags: list[FlagListingRep] | None = underscored(default=None)
    unbounded: bool | None = None
    unbounded_context_kind: str | None = None
    unbounded_metadata: SegmentMetadata | None = underscored(default=None)
    external: str | None = underscored(default=None)
    external_link: str | None = underscored(default=None)
    import_in_progress: bool | None = underscored(default=None)
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class UserSegments(Model):
    """One page of segments. ``total_count`` counts every match, not just this page."""

    items: list[UserSegment]
    links: dict[str, Link] = underscored()
    total_count: int | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class SegmentBody(Model):
    """The body of ``post_segment``. Set ``unbounded=True`` (and
    ``unbounded_context_kind``) to create a big segment."""

    key: str
    name: str
    description: str | None = None
    tags: list[str] | None = None
    unbounded: bool | None = None
    unbounded_context_kind: str | None = None
    extra: Mapping[str, Any] = extra_field()


# -- patches -----------------------------------------------------------------


@define(kw_only=True, repr=False)
class PatchOperation(Model):
    """One JSON patch (RFC 6902) operation. ``value`` is omitted from the JSON unless
    set, so ``value=None`` sends an explicit ``null``."""

    op: str
    path: str
    value: Any = ...
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class PatchWithComment(Model):
    """A JSON patch with an optional audit-log comment."""

    patch: list[PatchOperation | dict[str, Any]]
    comment: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class MergePatch(Model):
    """A JSON merge patch (RFC 7386) with an optional audit-log comment."""

    merge: dict[str, Any]
    comment: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class SemanticPatch(Model):
    """Semantic-patch instructions with an optional audit-log comment.

    ``instructions`` are builders from :mod:`ld_segments_async.instructions` or plain
    dicts with a ``kind``. ``environment_key`` is filled in by ``patch_segment``.
    """

    instructions: list[Any]
    comment: str | None = None
    environment_key: str | None = None
    extra: Mapping[str, Any] = extra_field()


# -- big segments ------------------------------------------------------------


@define(kw_only=True, repr=False)
class SegmentUserList(Model):
    add: list[str] | None = None
    remove: list[str] | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class SegmentUserState(Model):
    """Keys to add to or remove from a big segment's included and excluded lists."""

    included: SegmentUserList | None = None
    excluded: SegmentUserList | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class BigSegmentTarget(Model):
    """Membership of one key in a big segment (``user_key`` holds any context key)."""

    user_key: str
    included: bool
    excluded: bool
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class InitiatorRep(Model):
    name: str | None = None
    email: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class Export(Model):
    """A big-segment export job. When ``status`` is ``complete`` its ``links`` include
    the location of the exported CSV."""

    id: str
    segment_key: str
    creation_time: int
    status: str
    size_bytes: int
    size: str
    initiator: InitiatorRep
    links: dict[str, Link] = underscored()
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class FileRep(Model):
    filename: str | None = None
    status: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class Import(Model):
    """A big-segment import job; ``status`` is one of :class:`ImportStatus` (or a value
    LaunchDarkly added since)."""

    id: str
    segment_key: str
    creation_time: int
    mode: str
    status: str
    links: dict[str, Link] = underscored()
    files: list[FileRep] | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ContextInstanceSegmentMembership(Model):
    name: str
    key: str
    unbounded: bool
    external: str
    is_member: bool
    is_individually_targeted: bool
    is_rule_targeted: bool
    links: dict[str, Link] = underscored()
    description: str
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ContextInstanceSegmentMemberships(Model):
    items: list[ContextInstanceSegmentMembership]
    links: dict[str, Link] = underscored()
    extra: Mapping[str, Any] = extra_field()


# -- expiring targets --------------------------------------------------------


@define(kw_only=True, repr=False)
class ResourceId(Model):
    environment_key: str | None = None
    flag_key: str | None = None
    key: str | None = None
    kind: str | None = None
    project_key: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ResourceIDResponse(Model):
    kind: str | None = None
    project_key: str | None = None
    environment_key: str | None = None
    flag_key: str | None = None
    key: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ExpiringTarget(Model):
    id: str = underscored()
    version: int = underscored()
    expiration_date: int
    context_kind: str
    context_key: str
    resource_id: ResourceId = underscored()
    target_type: str | None = None
    variation_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ExpiringUserTargetItem(Model):
    id: str = underscored()
    version: int = underscored()
    expiration_date: int
    user_key: str
    resource_id: ResourceIDResponse = underscored()
    target_type: str | None = None
    variation_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ExpiringTargetError(Model):
    """One failed instruction of an expiring-targets patch."""

    instruction_index: int
    message: str
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ExpiringTargetGetResponse(Model):
    items: list[ExpiringTarget]
    links: dict[str, Link] | None = underscored(default=None)
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ExpiringUserTargetGetResponse(Model):
    items: list[ExpiringUserTargetItem]
    links: dict[str, Link] | None = underscored(default=None)
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ExpiringTargetPatchResponse(Model):
    """The result of an expiring-targets patch. A non-empty ``errors`` means some
    instructions failed while the others were applied (LaunchDarkly answers 200)."""

    items: list[ExpiringTarget]
    links: dict[str, Link] | None = underscored(default=None)
    total_instructions: int | None = None
    successful_instructions: int | None = None
    failed_instructions: int | None = None
    errors: list[ExpiringTargetError] | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class ExpiringUserTargetPatchResponse(Model):
    """Like :class:`ExpiringTargetPatchResponse`, for the deprecated user variant."""

    items: list[ExpiringUserTargetItem]
    links: dict[str, Link] | None = underscored(default=None)
    total_instructions: int | None = None
    successful_instructions: int | None = None
    failed_instructions: int | None = None
    errors: list[ExpiringTargetError] | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class PatchSegmentExpiringTargetInstruction(Model):
    kind: str
    context_key: str
    context_kind: str
    target_type: str
    value: int | None = None
    version: int | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class PatchSegmentExpiringTargetInputRep(Model):
    """The body of ``patch_expiring_targets_for_segment``."""

    instructions: list[PatchSegmentExpiringTargetInstruction]
    comment: str | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class PatchSegmentInstruction(Model):
    kind: str
    user_key: str
    target_type: str
    value: int | None = None
    version: int | None = None
    extra: Mapping[str, Any] = extra_field()


@define(kw_only=True, repr=False)
class PatchSegmentRequest(Model):
    """The body of the deprecated ``patch_expiring_user_targets_for_segment``."""

    instructions: list[PatchSegmentInstruction]
    comment: str | None = None
    extra: Mapping[str, Any] = extra_field()
