"""Check recorded exchanges against LaunchDarkly's OpenAPI document.

``check_exchange`` validates a JSON response body against the schema the spec declares
for its method, route and status (``$ref``s resolved, JSON Schema Draft 2020-12, which
covers the OpenAPI 3.0 keywords used here). Statuses the operation does not declare
(429 or 5xx from faults, 405, ...) must still carry the generic ``{code, message}`` error
shape when they are JSON. Statuses the spec declares without a body (204, the export
creation 200) must have an empty body.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ld_segments_async.testing import Exchange

SPEC_PATH = Path(__file__).parent / "data" / "ld-segments-openapi.min.json"
GENERIC_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}


@functools.cache
def _spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())  # type: ignore[no-any-return]


@functools.cache
def _validator(method: str, route: str, status: int) -> Draft202012Validator | None:
    """The validator of a declared JSON response; ``None`` for an undeclared status."""
    responses = _spec()["paths"][route][method.lower()]["responses"]
    declared = responses.get(str(status))
    if declared is None:
        return None
    schema = declared["content"]["application/json"]["schema"]
    # "#/components/..." refs resolve against the root, so carry the components along.
    return Draft202012Validator({**schema, "components": _spec()["components"]})


def _declares_no_body(method: str, route: str, status: int) -> bool:
    declared = _spec()["paths"][route][method.lower()]["responses"].get(str(status))
    return declared is not None and "content" not in declared


def check_exchange(exchange: Exchange) -> None:
    """Raise ``AssertionError`` naming the exchange when its answer breaks the spec."""
    label = f"{exchange.method} {exchange.path} -> {exchange.status}"
    if exchange.status == 0:
        return  # the connection was dropped on purpose: no answer to check
    content_type = exchange.response_headers.get("Content-Type", "")
    is_json = content_type.startswith("application/json")
    route = exchange.route
    if route is None:
        # Unknown paths and file downloads: only LaunchDarkly's own errors to check.
        if is_json and exchange.response_body:
            _validate(label, "generic error", Draft202012Validator(GENERIC_ERROR), exchange)
        return
    operations = _spec()["paths"].get(route, {})
    if exchange.method.lower() not in operations:
        raise AssertionError(f"{label}: {exchange.method} {route} is not in the spec")
    status = exchange.status
    if _declares_no_body(exchange.method, route, status):
        if exchange.response_body != b"":
            raise AssertionError(f"{label}: the spec declares no body, got {content_type!r}")
        return
    validator = _validator(exchange.method, route, status)
    if validator is None:
        if is_json and exchange.response_body:
            _validate(label, "generic error", Draft202012Validator(GENERIC_ERROR), exchange)
        return
    if not is_json:
        if 200 <= status < 300:
            raise AssertionError(f"{label}: expected JSON, got {content_type!r}")
        return  # an intermediary's page (HTML, empty) from an injected fault
    if exchange.response_body is None:
        return  # cut short on purpose (Fault.truncate)
    _validate(label, _schema_name(exchange.method, route, status), validator, exchange)


def _validate(label: str, name: str, validator: Draft202012Validator, exchange: Exchange) -> None:
    try:
        body = json.loads(exchange.response_body or b"")
    except ValueError as exc:
        raise AssertionError(f"{label}: body is not JSON ({exc})") from None
    error = best_match(validator.iter_errors(body))
    if error is not None:
        where = "".join(f"[{part!r}]" for part in error.absolute_path) or "the body"
        raise AssertionError(f"{label}: {where} does not match {name}: {error.message}")


def _schema_name(method: str, route: str, status: int) -> str:
    responses = _spec()["paths"][route][method.lower()]["responses"]
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return str(schema.get("$ref", "inline schema")).rsplit("/", 1)[-1]


def check_exchanges(exchanges: Iterable[Exchange]) -> None:
    """``check_exchange`` on each; one ``AssertionError`` listing every failure."""
    failures = []
    for exchange in exchanges:
        try:
            check_exchange(exchange)
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:
        listed = "\n  ".join(failures[:20])
        more = f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""
        raise AssertionError(f"{len(failures)} exchange(s) break the spec:\n  {listed}{more}")
