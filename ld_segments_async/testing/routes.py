"""The route table: every Segments operation, list environments, and file downloads."""

from __future__ import annotations

from dataclasses import dataclass

from . import (
    big_segments_api,
    downloads,
    environments_api,
    evaluate_api,
    expiring_api,
    jobs_api,
    segments_api,
)
from .call import Handler
from .paths import Template, decode_segments
from .replies import ApiError, not_found


@dataclass(frozen=True)
class Route:
    """One method on one path template; ``name`` is what counters and faults key on."""

    method: str
    template: Template
    handler: Handler
    streams_body: bool = False
    api: bool = True

    @property
    def name(self) -> str:
        return f"{self.method} {self.template.text}"


_SEGMENTS = "/api/v2/segments/{projectKey}/{environmentKey}"
_ENVIRONMENTS = "/api/v2/projects/{projectKey}/environments"
_SEGMENT = _SEGMENTS + "/{segmentKey}"
_EXPIRING = "/api/v2/segments/{projectKey}/{segmentKey}/expiring-targets/{environmentKey}"
_EXPIRING_USERS = (
    "/api/v2/segments/{projectKey}/{segmentKey}/expiring-user-targets/{environmentKey}"
)


def _route(method: str, path: str, handler: Handler, *, streams_body: bool = False) -> Route:
    return Route(method, Template(path), handler, streams_body)


ROUTES: tuple[Route, ...] = (
    _route("GET", _ENVIRONMENTS, environments_api.list_environments),
    _route(
        "POST",
        "/api/v2/projects/{projectKey}/environments/{environmentKey}/segments/evaluate",
        evaluate_api.evaluate,
    ),
    _route("GET", _SEGMENTS, segments_api.list_segments),
    _route("POST", _SEGMENTS, segments_api.create_segment),
    _route("GET", _SEGMENT, segments_api.get_segment),
    _route("PATCH", _SEGMENT, segments_api.patch_segment),
    _route("DELETE", _SEGMENT, segments_api.delete_segment),
    _route("POST", _SEGMENT + "/contexts", big_segments_api.update_targets),
    _route("GET", _SEGMENT + "/contexts/{contextKey}", big_segments_api.membership),
    _route("POST", _SEGMENT + "/exports", jobs_api.create_export),
    _route("GET", _SEGMENT + "/exports/{exportID}", jobs_api.get_export),
    _route("POST", _SEGMENT + "/imports", jobs_api.create_import, streams_body=True),
    _route("GET", _SEGMENT + "/imports/{importID}", jobs_api.get_import),
    _route("POST", _SEGMENT + "/users", big_segments_api.update_targets),
    _route("GET", _SEGMENT + "/users/{userKey}", big_segments_api.membership),
    _route("GET", _EXPIRING, expiring_api.get_expiring_targets),
    _route("PATCH", _EXPIRING, expiring_api.patch_expiring_targets),
    _route("GET", _EXPIRING_USERS, expiring_api.get_expiring_user_targets),
    _route("PATCH", _EXPIRING_USERS, expiring_api.patch_expiring_user_targets),
)
DOWNLOAD = Route("GET", downloads.API_TEMPLATE, downloads.download_from_api, api=False)
ROUTE_NAMES = frozenset(route.name for route in ROUTES)
LIST_SEGMENTS = f"GET {_SEGMENTS}"
LIST_ENVIRONMENTS = f"GET {_ENVIRONMENTS}"


def resolve(method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
    """The route and decoded path parameters for a request.

    When a path fits several templates (a segment key such as ``expiring-targets``), the
    first one that accepts the method wins.

    Raises:
        ApiError: 404 for an unknown path; 405 with ``Allow`` for a known path with
            another method; 400 for a path that does not decode.
    """
    segments = decode_segments(raw_path)
    allowed: set[str] = set()
    for route in (*ROUTES, DOWNLOAD):
        params = route.template.match(segments)
        if params is None:
            continue
        if route.method == method:
            return route, params
        allowed.add(route.method)
    if allowed:
        methods = ", ".join(sorted(allowed))
        raise ApiError(405, f"Method {method} not allowed here", headers={"Allow": methods})
    raise not_found("Unknown resource path")
