"""The Segments operations as data: each builds the request it sends and names the
parser of its answer. The client performs them (:meth:`SegmentsClient._perform`);
``with_raw_response`` performs the same ones and keeps the answer too.

Builders check every argument before they return, so that what is wrong with a call
is said before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from . import _arguments, _bodies, _paths
from ._exchange import BodyFactory, Request, Response
from .converter import converter, explain
from .errors import PartialPatchError
from .filters import Filter, Sort
from .models import (
    BigSegmentTarget,
    ContextInstance,
    ContextInstanceSegmentMemberships,
    Environments,
    ExpiringTargetGetResponse,
    ExpiringTargetPatchResponse,
    ExpiringUserTargetGetResponse,
    ExpiringUserTargetPatchResponse,
    Export,
    Import,
    SegmentBody,
    SegmentUserState,
    UserSegment,
    UserSegments,
)

__all__ = ["ROUTES", "Decoder", "Operation", "decode"]

T = TypeVar("T")
M = TypeVar("M")

ENVIRONMENTS = "/api/v2/projects/{projectKey}/environments"
SEGMENTS = "/api/v2/segments/{projectKey}/{environmentKey}"
SEGMENT = SEGMENTS + "/{segmentKey}"
IMPORTS = SEGMENT + "/imports"
IMPORT = IMPORTS + "/{importID}"
EXPORTS = SEGMENT + "/exports"
EXPORT = EXPORTS + "/{exportID}"
CONTEXT_TARGETS = SEGMENT + "/contexts"
CONTEXT_MEMBERSHIP = CONTEXT_TARGETS + "/{contextKey}"
USER_TARGETS = SEGMENT + "/users"
USER_MEMBERSHIP = USER_TARGETS + "/{userKey}"
EVALUATE = "/api/v2/projects/{projectKey}/environments/{environmentKey}/segments/evaluate"
EXPIRING_TARGETS = "/api/v2/segments/{projectKey}/{segmentKey}/expiring-targets/{environmentKey}"
EXPIRING_USER_TARGETS = (
    "/api/v2/segments/{projectKey}/{segmentKey}/expiring-user-targets/{environmentKey}"
)
ROUTES = (
    ENVIRONMENTS,
    SEGMENTS,
    SEGMENT,
    IMPORTS,
    IMPORT,
    EXPORTS,
    EXPORT,
    CONTEXT_TARGETS,
    CONTEXT_MEMBERSHIP,
    USER_TARGETS,
    USER_MEMBERSHIP,
    EVALUATE,
    EXPIRING_TARGETS,
    EXPIRING_USER_TARGETS,
)
"""Every route the client sends to."""


class Operation(Generic[T]):
    """A request, and how its successful answer becomes what the operation returns."""

    # A plain class: one is built per call, and attrs' frozen __init__ costs more.
    __slots__ = ("parse", "request")

    def __init__(self, request: Request, parse: Callable[[Response], T]) -> None:
        self.request = request
        self.parse = parse


def decode(response: Response, model: type[M]) -> M:
    """The answer's JSON as ``model``.

    Raises:
        DecodeError: the body is not JSON, or not a ``model`` (every problem named, with
            its JSON path).
    """
    data = response.json()
    try:
        return converter.structure(data, model)
    except Exception:  # any cattrs failure; described with its JSON paths
        problems = explain(data, model)
    raise response.decode_error(f"the response is not a valid {model.__name__}: {problems}")


class Decoder(Generic[M]):
    """:func:`decode` into one model, as a parser."""

    __slots__ = ("model",)

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def __call__(self, response: Response) -> M:
        return decode(response, self.model)


def location_id(response: Response) -> str:
    """The id of the job an answer's ``Location`` names."""
    job_id = _paths.id_from_location(response.headers.get("Location"))
    if job_id is None:
        raise response.decode_error(
            "LaunchDarkly accepted the job but sent no usable Location header to identify it"
        )
    return job_id


def nothing(response: Response) -> None:
    """The parser of answers without a body worth reading (204)."""
    return


def _request(
    method: str,
    route: str,
    keys: tuple[str, ...],
    *,
    query: str = "",
    body: bytes | BodyFactory | None = None,
    content_type: str | None = None,
) -> Request:
    return Request(
        method,
        _paths.expand(route, *keys),
        route,
        query=query,
        body=body,
        content_type=content_type,
        accept_404_on_retry=method == "DELETE",
    )


def _get(route: str, keys: tuple[str, ...], parse: Callable[[Response], T]) -> Operation[T]:
    return Operation(_request("GET", route, keys), parse)


def _json(
    method: str, route: str, keys: tuple[str, ...], body: bytes, parse: Callable[[Response], T]
) -> Operation[T]:
    return Operation(_request(method, route, keys, body=body, content_type=_bodies.JSON), parse)


# -- segments ----------------------------------------------------------------------


def get_segments(
    project_key: str,
    environment_key: str,
    limit: int | None,
    offset: int | None,
    sort: str | Sort | None,
    filter: str | Filter | None,
) -> Operation[UserSegments]:
    query = _arguments.segment_query(limit, offset, sort, filter)
    request = _request("GET", SEGMENTS, (project_key, environment_key), query=query)
    return Operation(request, _SEGMENTS)


def get_environments(
    project_key: str, limit: int, offset: int, filter: str | None, sort: str | None
) -> Operation[Environments]:
    query = _arguments.query(
        limit=limit,
        offset=offset,
        filter=_arguments.text_or(filter, (), "filter", "a str"),
        sort=_arguments.text_or(sort, (), "sort", "a str"),
    )
    return Operation(_request("GET", ENVIRONMENTS, (project_key,), query=query), _ENVIRONMENTS)


def get_segment(project_key: str, environment_key: str, segment_key: str) -> Operation[UserSegment]:
    return _get(SEGMENT, (project_key, environment_key, segment_key), _SEGMENT)


def post_segment(
    project_key: str, environment_key: str, segment_body: SegmentBody | Mapping[str, Any]
) -> Operation[UserSegment]:
    keys = (project_key, environment_key)
    _paths.check(SEGMENTS, *keys)
    body = _bodies.body_of(segment_body, SegmentBody, "segment_body")
    return _json("POST", SEGMENTS, keys, body, _SEGMENT)


def patch_segment(
    project_key: str,
    environment_key: str,
    segment_key: str,
    patch: _bodies.SegmentPatch,
    dry_run: bool | None,
) -> Operation[UserSegment]:
    keys = (project_key, environment_key, segment_key)
    _paths.check(SEGMENT, *keys)
    _arguments.flag(dry_run, "dry_run")
    body, content_type = _bodies.segment_patch(patch, environment_key)
    query = _arguments.query(dryRun=dry_run)
    request = _request("PATCH", SEGMENT, keys, query=query, body=body, content_type=content_type)
    return Operation(request, _SEGMENT)


def delete_segment(project_key: str, environment_key: str, segment_key: str) -> Operation[None]:
    keys = (project_key, environment_key, segment_key)
    return Operation(_request("DELETE", SEGMENT, keys), nothing)


# -- big segments --------------------------------------------------------------------


def start_import(keys: tuple[str, ...], body: BodyFactory) -> Operation[str]:
    return Operation(_request("POST", IMPORTS, keys, body=body), location_id)


def get_import(keys: tuple[str, ...]) -> Operation[Import]:
    return _get(IMPORT, keys, _IMPORT)


def create_export(keys: tuple[str, ...]) -> Operation[str]:
    return Operation(_request("POST", EXPORTS, keys), location_id)


def get_export(keys: tuple[str, ...]) -> Operation[Export]:
    return _get(EXPORT, keys, _EXPORT)


def membership(route: str, keys: tuple[str, ...]) -> Operation[BigSegmentTarget]:
    """Of a context key (``CONTEXT_MEMBERSHIP``) or, deprecated, a user key."""
    return _get(route, keys, _TARGET)


def update_targets(
    route: str, keys: tuple[str, ...], state: SegmentUserState | Mapping[str, Any]
) -> Operation[None]:
    """Of context targets (``CONTEXT_TARGETS``) or, deprecated, user targets."""
    _paths.check(route, *keys)
    body = _bodies.body_of(state, SegmentUserState, "segment_user_state")
    return _json("POST", route, keys, body, nothing)


def evaluate(
    project_key: str, environment_key: str, context: ContextInstance
) -> Operation[ContextInstanceSegmentMemberships]:
    keys = (project_key, environment_key)
    _paths.check(EVALUATE, *keys)
    _arguments.mapping(context, "context")
    return _json("POST", EVALUATE, keys, _bodies.dump(context), _MEMBERSHIPS)


# -- expiring targets ----------------------------------------------------------------


def get_expiring_targets(
    project_key: str, environment_key: str, segment_key: str
) -> Operation[ExpiringTargetGetResponse]:
    return _get(EXPIRING_TARGETS, (project_key, segment_key, environment_key), _EXPIRING)


def get_expiring_user_targets(
    project_key: str, environment_key: str, segment_key: str
) -> Operation[ExpiringUserTargetGetResponse]:
    keys = (project_key, segment_key, environment_key)
    return _get(EXPIRING_USER_TARGETS, keys, _EXPIRING_USERS)


class _PatchResult(Generic[M]):
    """Decodes an expiring-targets patch result; with ``raise_on_partial``, a result
    with failed instructions is a :class:`PartialPatchError`."""

    __slots__ = ("model", "raise_on_partial")

    def __init__(self, model: type[M], raise_on_partial: bool) -> None:
        self.model = model
        self.raise_on_partial = raise_on_partial

    def __call__(self, response: Response) -> M:
        result = decode(response, self.model)
        errors = getattr(result, "errors", None)
        if self.raise_on_partial and errors:
            raise PartialPatchError(result, errors)
        return result


def _patch_expiring(
    route: str,
    model: type[M],
    keys: tuple[str, str, str],
    patch: Any,
    raise_on_partial: bool,
) -> Operation[M]:
    project_key, environment_key, segment_key = keys
    path_keys = (project_key, segment_key, environment_key)
    _paths.check(route, *path_keys)
    _arguments.flag(raise_on_partial, "raise_on_partial", optional=False)
    body, content_type = _bodies.expiring_targets_patch(patch)
    request = _request("PATCH", route, path_keys, body=body, content_type=content_type)
    return Operation(request, _PatchResult(model, raise_on_partial))


def patch_expiring_targets(
    keys: tuple[str, str, str], patch: _bodies.ExpiringTargetsPatch, raise_on_partial: bool
) -> Operation[ExpiringTargetPatchResponse]:
    return _patch_expiring(
        EXPIRING_TARGETS, ExpiringTargetPatchResponse, keys, patch, raise_on_partial
    )


def patch_expiring_user_targets(
    keys: tuple[str, str, str], patch: _bodies.ExpiringUserTargetsPatch, raise_on_partial: bool
) -> Operation[ExpiringUserTargetPatchResponse]:
    return _patch_expiring(
        EXPIRING_USER_TARGETS, ExpiringUserTargetPatchResponse, keys, patch, raise_on_partial
    )


_SEGMENT = Decoder(UserSegment)
_SEGMENTS = Decoder(UserSegments)
_ENVIRONMENTS = Decoder(Environments)
_IMPORT = Decoder(Import)
_EXPORT = Decoder(Export)
_TARGET = Decoder(BigSegmentTarget)
_MEMBERSHIPS = Decoder(ContextInstanceSegmentMemberships)
_EXPIRING = Decoder(ExpiringTargetGetResponse)
_EXPIRING_USERS = Decoder(ExpiringUserTargetGetResponse)
