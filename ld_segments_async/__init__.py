"""Asyncio client for LaunchDarkly's REST API Segments endpoints.

>>> async with SegmentsClient() as ld:                     # doctest: +SKIP
...     segment = await ld.get_segment("proj", "production", "beta-users")

Names are imported on first use, so that ``import ld_segments_async`` (and the
``ld-segments`` command line, ``--help`` first) stays cheap until a client is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._clock import (
        Clock,
        SystemClock,
    )
    from ._imports import (
        ImportPart,
    )
    from ._raw import (
        RateLimitInfo,
        RawResponse,
        RawResponses,
    )
    from ._transport import (
        resend_guard,
    )
    from .client import (
        SegmentsClient,
    )
    from .config import (
        ClientConfig,
        RetryPolicy,
        Timeout,
    )
    from .errors import (
        ApiError,
        BadRequestError,
        ConflictError,
        DecodeError,
        ForbiddenError,
        ImportIncompleteError,
        ImportStoppedError,
        ImportTimeoutError,
        JobFailedError,
        JobTimeoutError,
        LaunchDarklyError,
        MethodNotAllowedError,
        NotFoundError,
        PartialPatchError,
        RateLimitedError,
        RedirectError,
        RequestTimeoutError,
        ServerError,
        SyncIncompleteError,
        TransportError,
        UnauthorizedError,
        UnprocessableEntityError,
    )
    from .fanout import (
        fan_out,
    )
    from .jobs import (
        PollSchedule,
    )
    from .models import (
        BigSegmentTarget,
        Clause,
        ContextInstanceSegmentMembership,
        ContextInstanceSegmentMemberships,
        Environment,
        Environments,
        ExpiringTarget,
        ExpiringTargetError,
        ExpiringTargetGetResponse,
        ExpiringTargetPatchResponse,
        ExpiringUserTargetGetResponse,
        ExpiringUserTargetItem,
        ExpiringUserTargetPatchResponse,
        Export,
        Import,
        ImportMode,
        ImportStatus,
        Link,
        MergePatch,
        Model,
        PatchOperation,
        PatchSegmentExpiringTargetInputRep,
        PatchSegmentExpiringTargetInstruction,
        PatchSegmentInstruction,
        PatchSegmentRequest,
        PatchWithComment,
        SegmentBody,
        SegmentTarget,
        SegmentUserList,
        SegmentUserState,
        SemanticPatch,
        UserSegment,
        UserSegmentRule,
        UserSegments,
    )
    from .reconcile import (
        SyncReport,
        WriteBatch,
    )

_HOMES = {
    "Clock": "._clock",
    "SystemClock": "._clock",
    "ImportPart": "._imports",
    "RateLimitInfo": "._raw",
    "RawResponse": "._raw",
    "RawResponses": "._raw",
    "SegmentsClient": ".client",
    "ClientConfig": ".config",
    "RetryPolicy": ".config",
    "Timeout": ".config",
    "ApiError": ".errors",
    "BadRequestError": ".errors",
    "ConflictError": ".errors",
    "DecodeError": ".errors",
    "ForbiddenError": ".errors",
    "ImportIncompleteError": ".errors",
    "ImportStoppedError": ".errors",
    "ImportTimeoutError": ".errors",
    "JobFailedError": ".errors",
    "JobTimeoutError": ".errors",
    "LaunchDarklyError": ".errors",
    "MethodNotAllowedError": ".errors",
    "NotFoundError": ".errors",
    "PartialPatchError": ".errors",
    "RateLimitedError": ".errors",
    "RedirectError": ".errors",
    "RequestTimeoutError": ".errors",
    "ServerError": ".errors",
    "SyncIncompleteError": ".errors",
    "TransportError": ".errors",
    "UnauthorizedError": ".errors",
    "UnprocessableEntityError": ".errors",
    "fan_out": ".fanout",
    "PollSchedule": ".jobs",
    "resend_guard": "._transport",
    "BigSegmentTarget": ".models",
    "Clause": ".models",
    "ContextInstanceSegmentMembership": ".models",
    "ContextInstanceSegmentMemberships": ".models",
    "Environment": ".models",
    "Environments": ".models",
    "ExpiringTarget": ".models",
    "ExpiringTargetError": ".models",
    "ExpiringTargetGetResponse": ".models",
    "ExpiringTargetPatchResponse": ".models",
    "ExpiringUserTargetGetResponse": ".models",
    "ExpiringUserTargetItem": ".models",
    "ExpiringUserTargetPatchResponse": ".models",
    "Export": ".models",
    "Import": ".models",
    "ImportMode": ".models",
    "ImportStatus": ".models",
    "Link": ".models",
    "MergePatch": ".models",
    "Model": ".models",
    "PatchOperation": ".models",
    "PatchSegmentExpiringTargetInputRep": ".models",
    "PatchSegmentExpiringTargetInstruction": ".models",
    "PatchSegmentInstruction": ".models",
    "PatchSegmentRequest": ".models",
    "PatchWithComment": ".models",
    "SegmentBody": ".models",
    "SegmentTarget": ".models",
    "SegmentUserList": ".models",
    "SegmentUserState": ".models",
    "SemanticPatch": ".models",
    "UserSegment": ".models",
    "UserSegmentRule": ".models",
    "UserSegments": ".models",
    "SyncReport": ".reconcile",
    "WriteBatch": ".reconcile",
}
"""Where each public name lives."""

__all__ = [
    "ApiError",
    "BadRequestError",
    "BigSegmentTarget",
    "Clause",
    "ClientConfig",
    "Clock",
    "ConflictError",
    "ContextInstanceSegmentMembership",
    "ContextInstanceSegmentMemberships",
    "DecodeError",
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
    "ForbiddenError",
    "Import",
    "ImportIncompleteError",
    "ImportMode",
    "ImportPart",
    "ImportStatus",
    "ImportStoppedError",
    "ImportTimeoutError",
    "JobFailedError",
    "JobTimeoutError",
    "LaunchDarklyError",
    "Link",
    "MergePatch",
    "MethodNotAllowedError",
    "Model",
    "NotFoundError",
    "PartialPatchError",
    "PatchOperation",
    "PatchSegmentExpiringTargetInputRep",
    "PatchSegmentExpiringTargetInstruction",
    "PatchSegmentInstruction",
    "PatchSegmentRequest",
    "PatchWithComment",
    "PollSchedule",
    "RateLimitInfo",
    "RateLimitedError",
    "RawResponse",
    "RawResponses",
    "RedirectError",
    "RequestTimeoutError",
    "RetryPolicy",
    "SegmentBody",
    "SegmentTarget",
    "SegmentUserList",
    "SegmentUserState",
    "SegmentsClient",
    "SemanticPatch",
    "ServerError",
    "SyncIncompleteError",
    "SyncReport",
    "SystemClock",
    "Timeout",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UserSegment",
    "UserSegmentRule",
    "UserSegments",
    "WriteBatch",
    "__version__",
    "fan_out",
    "resend_guard",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
