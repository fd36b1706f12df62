"""Every model's ``to_dict()`` / ``from_dict()`` (LaunchDarkly's JSON, unknown fields
kept, round trips equal, as upstream's models give), its short ``repr()``, and the one
rule for optional fields, checked against the spec for every model it describes."""

from __future__ import annotations

import json
import typing
from types import NoneType
from typing import Any

import attrs
import launchdarkly_api
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_strategies import document, schemas, without_nulls

from ld_segments_async import Environment, Model, SemanticPatch, UserSegment, models
from ld_segments_async import instructions as ins
from ld_segments_async.converter import wire_name

MODELS = [
    getattr(models, name)
    for name in models.__all__
    if isinstance(getattr(models, name), type) and attrs.has(getattr(models, name))
]
SPEC = {name.lower(): schema for name, schema in schemas().items()}
DESCRIBED = [model for model in MODELS if model.__name__.lower() in SPEC]


def _schema(model: type) -> dict[str, Any]:
    return SPEC[model.__name__.lower()]


def segment(**fields: Any) -> dict[str, Any]:
    return {
        "key": "beta",
        "name": "Beta",
        "tags": ["a"],
        "creationDate": 1,
        "lastModifiedDate": 2,
        "_links": {"self": {"href": "/api/v2/segments/p/e/beta", "type": "application/json"}},
        "rules": [
            {
                "_id": "r",
                "clauses": [{"attribute": "e", "op": "in", "values": ["x"], "negate": False}],
            }
        ],
        "version": 1,
        "deleted": False,
        "generation": 1,
        **fields,
    }


def test_every_model_has_the_conveniences() -> None:
    assert len(MODELS) >= 40
    for model in MODELS:
        assert issubclass(model, Model), model
        assert callable(model.to_dict) and callable(model.from_dict)


@pytest.mark.parametrize("model", DESCRIBED, ids=lambda model: model.__name__)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_from_dict_and_to_dict_round_trip_any_document(model: type, data: st.DataObject) -> None:
    body = data.draw(document(next(n for n in schemas() if n.lower() == model.__name__.lower())))
    decoded = model.from_dict(body)
    encoded = decoded.to_dict()
    json.dumps(encoded)  # JSON-ready
    assert model.from_dict(encoded) == decoded
    assert without_nulls(encoded) == without_nulls(body)  # unknown fields included


def test_to_dict_is_upstreams_with_the_fields_it_drops_kept() -> None:
    data = segment(
        included=["ada"],
        includedContexts=[{"contextKind": "org", "values": ["acme"]}],
        unbounded=False,
        aFieldAddedLater={"nested": [1, 2]},
    )
    ours = UserSegment.from_dict(data).to_dict()
    upstream = launchdarkly_api.UserSegment.from_dict(data).to_dict()
    assert ours.pop("aFieldAddedLater") == {"nested": [1, 2]}
    assert ours == upstream


def test_request_models_give_their_json() -> None:
    patch = SemanticPatch(instructions=[ins.add_tags(values=["beta"]), {"kind": "x"}], comment="c")
    assert patch.to_dict() == {
        "instructions": [{"kind": "addTags", "values": ["beta"]}, {"kind": "x"}],
        "comment": "c",
    }
    assert models.PatchOperation(op="remove", path="/tags/0").to_dict() == {
        "op": "remove",
        "path": "/tags/0",
    }
    assert models.PatchOperation(op="replace", path="/x", value=None).to_dict()["value"] is None


def test_from_dict_of_what_is_no_model_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"not a valid UserSegment: .*\$\.version"):
        UserSegment.from_dict(segment(version="one"))
    with pytest.raises(ValueError, match="not a valid UserSegment"):
        UserSegment.from_dict(["not", "an", "object"])  # type: ignore[arg-type]


# -- repr ----------------------------------------------------------------------------


def test_the_repr_of_a_segment_of_15000_keys_is_short() -> None:
    keys = [f"user-{n:05d}" for n in range(15_000)]
    big = UserSegment.from_dict(
        segment(included=keys, includedContexts=[{"contextKind": "org", "values": keys}])
    )
    text = repr(big)
    assert len(text) < 1_000, len(text)
    assert "included=[15000 items]" in text
    assert "includedContexts" not in text and "included_contexts=[SegmentTarget(" in text
    assert "values=[15000 items]" in text
    assert "None" not in text  # unset fields are left out
    assert "description" not in text and "excluded" not in text


def test_a_repr_shows_short_lists_strings_and_values_that_are_set() -> None:
    small = UserSegment.from_dict(segment(description="d" * 5000, excluded=["x", "y"]))
    text = repr(small)
    assert "excluded=['x', 'y']" in text and "tags=['a']" in text
    assert "deleted=False" in text  # a real value, not an unset one
    assert "... (5000 characters)" in text and len(text) < 1_000


def test_a_repr_never_shows_secrets_nor_unknown_fields() -> None:
    environment = Environment.from_dict(
        {
            "_links": {},
            "_id": "id",
            "key": "production",
            "name": "Production",
            "apiKey": "sdk-0123-secret",
            "mobileKey": "mob-0123-secret",
            "color": "fff",
            "defaultTtl": 0,
            "secureMode": False,
            "defaultTrackEvents": False,
            "requireComments": False,
            "confirmChanges": False,
            "tags": [],
            "critical": False,
            "apiKeyV2": "sdk-4567-secret",  # a field added later may hold a secret
        }
    )
    assert "secret" not in repr(environment) and "key='production'" in repr(environment)
    assert environment.extra["apiKeyV2"] == "sdk-4567-secret"


# -- the one rule for optional fields ------------------------------------------------


def _optional(model: type, name: str) -> bool:
    hint = typing.get_type_hints(model)[name]
    return NoneType in typing.get_args(hint)


@pytest.mark.parametrize("model", DESCRIBED, ids=lambda model: model.__name__)
def test_a_field_is_typed_optional_exactly_when_the_spec_lets_it_be_left_out(
    model: type,
) -> None:
    schema = _schema(model)
    required = set(schema.get("required", ()))
    for field in attrs.fields(model):
        if field.name == "extra":
            continue
        name = wire_name(field)
        if field.type in (Any, "Any"):  # any JSON, null included: unset is ...
            assert name not in required and field.default is ..., f"{model.__name__}.{name}"
        elif name in required:
            assert not _optional(model, field.name), f"{model.__name__}.{field.name}"
        else:
            assert _optional(model, field.name), f"{model.__name__}.{field.name} may be absent"
            assert field.default is None, f"{model.__name__}.{field.name} defaults to None"


def test_the_rule_is_stated_in_the_models_docstring() -> None:
    assert models.__doc__ is not None
    assert "a field typed ``X | None`` is one LaunchDarkly's spec" in models.__doc__
