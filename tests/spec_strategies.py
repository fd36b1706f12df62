"""Hypothesis strategies for JSON documents valid against the spec's schemas.

A small generator for the subset of JSON Schema the OpenAPI document uses (objects,
arrays, strings, integers, numbers, booleans, enums, ``$ref``, free-form ``{}``). Each
object gets its required properties, any of its optional ones, and sometimes a few
properties the spec does not declare (a newer server): exactly the forward
compatibility the models promise.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

SPEC_PATH = Path(__file__).parent / "data" / "ld-segments-openapi.min.json"
INT64 = (-(2**63), 2**63 - 1)

# The .min.json lost these properties with the prose it stripped (the full document
# declares them as strings, and LaunchDarkly sends them).
_STRIPPED_DESCRIPTIONS = (
    "UserSegment",
    "UserSegmentRule",
    "SegmentBody",
    "ContextInstanceSegmentMembership",
)


@cache
def schemas() -> dict[str, Any]:
    components: dict[str, Any] = json.loads(SPEC_PATH.read_text())["components"]["schemas"]
    for name in _STRIPPED_DESCRIPTIONS:
        components[name]["properties"]["description"] = {"type": "string"}
    return components


_scalars = st.none() | st.booleans() | st.integers(*INT64) | st.text(max_size=8)
any_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return st.deferred(lambda: from_schema(schemas()[name]))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    if kind == "string":
        return st.text(max_size=12)
    if kind == "integer":
        return st.integers(*INT64)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
    if kind == "boolean":
        return st.booleans()
    return any_json


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ())) & set(properties)
    optional = set(properties) - required
    values = schema.get("additionalProperties")
    if isinstance(values, dict) and not properties:  # a map, e.g. _links
        return st.dictionaries(st.text(max_size=8), from_schema(values), max_size=3)
    fixed = st.fixed_dictionaries(
        {name: from_schema(properties[name]) for name in sorted(required)},
        optional={name: from_schema(properties[name]) for name in sorted(optional)},
    )
    undeclared = st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda key: key not in properties),
        any_json,
        max_size=2,
    )
    return st.builds(lambda known, extra: {**extra, **known}, fixed, undeclared)


def document(schema_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Documents valid against ``#/components/schemas/<schema_name>``."""
    return from_schema({"$ref": f"#/components/schemas/{schema_name}"})


def without_nulls(value: Any) -> Any:
    """``value`` without null members: a null optional field and an absent one decode
    alike (None), so documents are compared without them."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value
