"""The converter: wire names, forward compatibility, strictness, request bodies."""

from __future__ import annotations

import json
from typing import Any

import cattrs
import pytest

from ld_segments_async import (
    Import,
    ImportStatus,
    PatchOperation,
    SegmentBody,
    SegmentUserList,
    SegmentUserState,
    UserSegment,
)
from ld_segments_async.converter import converter, explain, make_converter

SEGMENT: dict[str, Any] = {
    "key": "beta",
    "name": "Beta",
    "description": "testers",
    "tags": ["t"],
    "creationDate": 1737936000000,
    "lastModifiedDate": 1737936000001,
    "_links": {"self": {"href": "/api/v2/segments/p/e/beta", "type": "application/json"}},
    "rules": [
        {
            "_id": "r1",
            "clauses": [
                {
                    "_id": "c1",
                    "attribute": "email",
                    "op": "endsWith",
                    "values": [".edu"],
                    "negate": False,
                }
            ],
            "weight": 50000,
            "rolloutContextKind": "user",
        }
    ],
    "version": 3,
    "deleted": False,
    "generation": 1,
    "included": ["u1"],
    "includedContexts": [{"contextKind": "org", "values": ["acme"]}],
    "unbounded": False,
    "_unboundedMetadata": {"envId": "e1", "includedCount": 0},
    "_importInProgress": False,
}


def test_wire_names_and_int64_timestamps() -> None:
    segment = converter.structure(SEGMENT, UserSegment)
    assert segment.creation_date == 1737936000000
    assert segment.links["self"].href == "/api/v2/segments/p/e/beta"
    assert segment.rules[0].id == "r1"
    assert segment.rules[0].clauses[0].id == "c1"
    assert segment.rules[0].rollout_context_kind == "user"
    assert segment.included_contexts is not None
    assert segment.included_contexts[0].context_kind == "org"
    assert segment.unbounded_metadata is not None
    assert segment.unbounded_metadata.env_id == "e1"
    assert segment.import_in_progress is False


def test_round_trip_is_exact() -> None:
    assert converter.unstructure(converter.structure(SEGMENT, UserSegment)) == SEGMENT


def test_unknown_fields_stay_reachable_and_round_trip() -> None:
    data = {**SEGMENT, "newField": {"nested": [1, 2]}, "_newLink": "x"}
    data["rules"] = [{**SEGMENT["rules"][0], "ruleFlag": True}]
    segment = converter.structure(data, UserSegment)
    assert segment.extra == {"newField": {"nested": [1, 2]}, "_newLink": "x"}
    assert segment.rules[0].extra == {"ruleFlag": True}
    assert converter.unstructure(segment) == data


def test_missing_optional_fields_are_none() -> None:
    minimal = {
        k: SEGMENT[k]
        for k in (
            "key",
            "name",
            "tags",
            "creationDate",
            "lastModifiedDate",
            "_links",
            "rules",
            "version",
            "deleted",
            "generation",
        )
    }
    segment = converter.structure(minimal, UserSegment)
    assert segment.description is None
    assert segment.included is None
    assert segment.unbounded is None
    assert segment.extra == {}


def test_unknown_enum_values_are_kept() -> None:
    data = {
        "id": "i",
        "segmentKey": "s",
        "creationTime": 1,
        "mode": "append",
        "status": "shiny_new",
        "_links": {},
    }
    job = converter.structure(data, Import)
    assert job.status == "shiny_new"
    assert job.mode == "append"
    done = converter.structure({**data, "status": "complete"}, Import)
    assert done.status == ImportStatus.COMPLETE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", "3"),
        ("deleted", "false"),
        ("name", 5),
        ("tags", "t"),
        ("version", True),
        ("rules", {}),
    ],
)
def test_wrong_types_are_rejected_not_coerced(field: str, value: Any) -> None:
    data = {**SEGMENT, field: value}
    with pytest.raises(TypeError, match="expected"):
        converter.structure(data, UserSegment)
    assert f"@ $.{field}" in explain(data, UserSegment)


def test_missing_required_fields_are_rejected() -> None:
    data = dict(SEGMENT)
    del data["key"]
    with pytest.raises(KeyError):
        converter.structure(data, UserSegment)
    assert explain(data, UserSegment) == "required field missing @ $.key"


def test_the_strict_twin_refuses_unknown_fields() -> None:
    strict = make_converter(strict=True)
    assert strict.structure(SEGMENT, UserSegment).key == "beta"
    with pytest.raises(cattrs.ClassValidationError) as caught:
        strict.structure({**SEGMENT, "newField": 1}, UserSegment)
    assert cattrs.transform_error(caught.value) == ["extra fields found (newField) @ $"]


def test_request_bodies_omit_unset_fields() -> None:
    assert converter.unstructure(SegmentBody(key="k", name="n")) == {"key": "k", "name": "n"}
    assert converter.unstructure(
        SegmentBody(key="k", name="n", unbounded=True, unbounded_context_kind="org")
    ) == {"key": "k", "name": "n", "unbounded": True, "unboundedContextKind": "org"}
    assert converter.unstructure(SegmentUserState(included=SegmentUserList(add=["a"]))) == {
        "included": {"add": ["a"]}
    }


def test_patch_operation_value_is_sent_only_when_set() -> None:
    assert converter.unstructure(PatchOperation(op="remove", path="/tags/0")) == {
        "op": "remove",
        "path": "/tags/0",
    }
    assert converter.unstructure(PatchOperation(op="replace", path="/description", value=None)) == {
        "op": "replace",
        "path": "/description",
        "value": None,
    }


def test_big_lists_are_passed_through_not_copied() -> None:
    keys = [f"k{n}" for n in range(15_000)]
    segment = converter.structure({**SEGMENT, "included": keys}, UserSegment)
    assert segment.included is keys
    assert json.loads(json.dumps(converter.unstructure(segment)))["included"] == keys


def test_json_works_without_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    from ld_segments_async import _json

    monkeypatch.setitem(sys.modules, "msgspec.json", None)  # as on a platform without its wheels
    importlib.reload(_json)
    try:
        assert _json.dumps({"k": "é", "n": [1, None]}) == '{"k":"é","n":[1,null]}'.encode()
        assert _json.loads(b'{"k": [true]}') == {"k": [True]}
        with pytest.raises(ValueError, match="Expecting"):
            _json.loads(b"{")
    finally:
        monkeypatch.undo()
        importlib.reload(_json)
    assert _json.loads(b"[1]") == [1]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"a":' * 100_000, "nested too deeply"),
        (b"\xff", "malformed"),
        (b"1e400", "out of range"),
    ],
)
def test_json_that_cannot_be_decoded_is_a_value_error(body: bytes, says: str) -> None:
    from ld_segments_async import _json

    with pytest.raises(ValueError, match=says):
        _json.loads(body)


def test_models_copy_and_pickle() -> None:
    import copy
    import pickle

    segment = converter.structure(SEGMENT, UserSegment)
    assert copy.deepcopy(segment) == segment
    assert pickle.loads(pickle.dumps(segment)) == segment
    extended = converter.structure({**SEGMENT, "future": [1]}, UserSegment)
    assert pickle.loads(pickle.dumps(extended)).extra == {"future": [1]}
