"""``GET /api/v2/projects/{projectKey}/environments``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .call import Call
from .paging import page_window, paged
from .paths import encode_segment
from .replies import Reply, bad_request, json_reply
from .store import Environment

_SORT_FIELDS: dict[str, Callable[[Environment], Any]] = {
    "name": lambda environment: environment.name.lower(),
    "createdOn": lambda environment: environment.created_on,
    "critical": lambda environment: environment.critical,
}


async def list_environments(call: Call) -> Reply:
    """A project's environments; ``filter=query:abc,tags:t1+t2``, ``sort=name,-createdOn``."""
    project_key = call.params["projectKey"]
    environments = list(call.store.project(project_key).environments.values())
    for clause in filter(None, call.query.get("filter", "").split(",")):
        predicate = _filter(clause)
        environments = [env for env in environments if predicate(env)]
    for raw in reversed([part for part in call.query.get("sort", "").split(",") if part]):
        key = _SORT_FIELDS.get(raw.lstrip("-"))
        if key is None:
            raise bad_request(f"Cannot sort environments by {raw!r}")
        environments.sort(key=key, reverse=raw.startswith("-"))
    limit, offset = page_window(call.query, call.fake.max_page_size)
    path = f"/api/v2/projects/{encode_segment(project_key)}/environments"
    page, links = paged(environments, path, call.query, limit, offset)
    items = [render_environment(project_key, environment) for environment in page]
    return json_reply(200, {"items": items, "_links": links, "totalCount": len(environments)})


def _filter(clause: str) -> Callable[[Environment], bool]:
    field, _, value = clause.partition(":")
    value = value.strip().lower()
    if field.strip() == "query":
        return lambda env: value in env.key.lower() or value in env.name.lower()
    if field.strip() == "tags":
        # The documented separator is "+", which arrives as a space when sent unencoded.
        wanted = {tag for tag in re.split(r"[+ ]", value) if tag}
        return lambda env: wanted <= {tag.lower() for tag in env.tags}
    raise bad_request(f"Cannot filter environments by {field!r}; use query or tags")


def render_environment(project_key: str, environment: Environment) -> dict[str, Any]:
    """The ``Environment`` JSON, every required field with a plausible value."""
    href = f"/api/v2/projects/{encode_segment(project_key)}/environments/"
    return {
        "_links": {
            "self": {"href": href + encode_segment(environment.key), "type": "application/json"}
        },
        "_id": environment.id,
        "key": environment.key,
        "name": environment.name,
        "apiKey": environment.api_key,
        "mobileKey": environment.mobile_key,
        "color": environment.color,
        "defaultTtl": 0,
        "secureMode": False,
        "defaultTrackEvents": False,
        "requireComments": False,
        "confirmChanges": False,
        "tags": list(environment.tags),
        "critical": environment.critical,
    }
