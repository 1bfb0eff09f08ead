"""Request bodies from dicts or models, against the real registry and schemas: lossless conversion or a BodyError."""

from __future__ import annotations

import enum
import importlib
import pickle
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from threecx_xapi_client.models.retreive_peers_request import RetreivePeersRequest
from threecx_xapi_client.models.transcription_type import TranscriptionType
from threecx_xapi_client.models.user_group import UserGroup

from threecx_xapi import _registry as registry
from threecx_xapi._bodies import BodyError, coerce, load_schemas, request_body
from threecx_xapi._endpoint import BodyProperty, BodySpec

SCHEMAS = load_schemas()
RATE = {"one_of": [{"type": "number", "format": "float"}, {"type": "string"}, {"ref": "ReferenceNumeric"}]}


def body_of(operation_id: str) -> BodySpec:
    """The body an operation's endpoint module declares (its ``BODY``)."""
    spec = importlib.import_module(registry.operation(operation_id)["module"]).BODY
    assert isinstance(spec, BodySpec)
    return spec


def fields_of(spec: BodySpec) -> BodySpec:
    """An entity body as its top-level fields, so the checks below read like an action's parameters."""
    if spec.kind == "parameters":
        return spec
    component = SCHEMAS[spec.schema["ref"]]
    names = component.get("python_names") or {}
    fields = tuple(BodyProperty(w, names.get(w, w), d) for w, d in component["properties"].items())
    return BodySpec(
        "parameters",
        spec.required,
        {"type": "object", "properties": component["properties"]},
        spec.model,
        properties=fields,
    )


def build_body(spec: BodySpec, arguments: Mapping[str, object], **kwargs: Any) -> Any:
    return request_body(fields_of(spec), arguments, **kwargs)


def refused(operation_id: str, arguments: Mapping[str, object], **kwargs: Any) -> str:
    with pytest.raises(BodyError) as info:
        build_body(body_of(operation_id), arguments, **kwargs)
    return str(info.value)


# --- the seeds ----------------------------------------------------------------------------------------------


def test_retreive_peers_dn_numbers_given_as_integers_become_strings() -> None:
    body = body_of("RetreivePeersByNumbers")
    assert build_body(body, {"peers_request": {"DnNumbers": [1234, 5678]}}) == {
        "peersRequest": {"DnNumbers": ["1234", "5678"]}
    }
    assert "IsReportPeers" in SCHEMAS["RetreivePeersRequest"]["properties"]
    assert build_body(body, {"peersRequest": {"DnNumbers": ["100"], "IsReportPeers": True}}) == {
        "peersRequest": {"DnNumbers": ["100"], "IsReportPeers": True}
    }


def test_directory_parameters_given_as_json_text_become_an_object() -> None:
    result = build_body(body_of("GetDirectoryInfo"), {"parameters": '{"Filesystem": "Local", "Path": "/"}'})
    assert result == {"parameters": {"Filesystem": "Local", "Path": "/"}}


def test_directory_parameters_that_are_not_json_are_refused_before_sending() -> None:
    message = refused("GetDirectoryInfo", {"parameters": "{not json"})
    assert message.startswith("parameters: not valid JSON: ")
    assert "parameters: not valid JSON" in refused("GetDirectoryInfo", {"parameters": "[1, 2]"})
    # JSON text is checked like a dict: here a number where the FileSystemType enum wants a string
    assert "parameters.Filesystem: expected a string" in refused(
        "GetDirectoryInfo", {"parameters": '{"Filesystem": 5}'}
    )


def test_a_patch_sends_exactly_the_fields_given() -> None:
    result = build_body(body_of("UpdateUser"), {"DisplayName": "Ann B", "first_name": "Ann"})
    assert result == {"DisplayName": "Ann B", "FirstName": "Ann"}
    assert build_body(body_of("UpdateUser"), {}) == {}


# --- names ----------------------------------------------------------------------------------------------------


def test_unknown_key_is_refused_naming_it_and_pointing_to_extra_body() -> None:
    message = refused("UpdateUser", {"DisplayName": "x", "Nickname": "y"})
    assert message.startswith("Nickname: unknown field")
    assert "extra_body" in message
    assert "DisplayName" not in message.split("known fields:")[0]
    assert "(70 more)" in message  # the known names are listed, but not all 80


def test_unknown_key_suggests_the_close_name() -> None:
    assert "did you mean 'display_name'?" in refused("UpdateUser", {"displayname": "x"})


def test_unknown_nested_key_names_its_path_and_the_top_level_escape() -> None:
    message = refused("RetreivePeersByNumbers", {"peers_request": {"DnNumbers": [], "Extra": 1}})
    assert message.startswith("peersRequest.Extra: unknown field")
    assert "DnNumbers, IsReportPeers" in message
    assert "pass 'peersRequest' whole in extra_body" in message


def test_python_names_accepted_at_every_level() -> None:
    result = build_body(
        body_of("RetreivePeersByNumbers"), {"peers_request": {"dn_numbers": [1], "is_report_peers": False}}
    )
    assert result == {"peersRequest": {"DnNumbers": ["1"], "IsReportPeers": False}}
    result = build_body(body_of("UpdateUser"), {"groups": [{"group_id": 7, "name": "Sales"}]})
    assert result == {"Groups": [{"GroupId": 7, "Name": "Sales"}]}


def test_a_field_given_by_both_names_is_refused() -> None:
    assert "given twice" in refused("UpdateUser", {"DisplayName": "a", "display_name": "b"})


def test_extra_body_passes_through_verbatim() -> None:
    result = build_body(
        body_of("UpdateUser"),
        {"DisplayName": "x"},
        extra_body={"FeatureFrom2026": {"Anything": [1, 2.5, None]}, "Id": "unchecked"},
    )
    assert result == {"DisplayName": "x", "FeatureFrom2026": {"Anything": [1, 2.5, None]}, "Id": "unchecked"}


@pytest.mark.parametrize("key", ["DisplayName", "display_name"])
def test_extra_body_may_not_collide_with_a_given_field(key: str) -> None:
    message = refused("UpdateUser", {"display_name": "x"}, extra_body={key: "y"})
    assert "extra_body" in message
    assert "DisplayName" in message


# --- conversions and refusals ----------------------------------------------------------------------------


def test_nested_list_item_error_names_the_index() -> None:
    message = refused("RetreivePeersByNumbers", {"peers_request": {"DnNumbers": [1234, 5.5]}})
    assert message == "peersRequest.DnNumbers[1]: expected string, got float 5.5"


@pytest.mark.parametrize("value", [5.5, 5.0, True, b"100", object()])
def test_non_text_non_integer_is_refused_where_a_string_is_expected(value: object) -> None:
    with pytest.raises(BodyError, match=r"^Number: expected string, got "):
        build_body(body_of("UpdateUser"), {"Number": value})


def test_bool_is_refused_where_an_integer_is_expected() -> None:
    assert refused("UpdateUser", {"Id": True}) == "Id: expected integer, got bool True"
    assert refused("UpdateUser", {"PinProtectTimeout": False}).startswith("PinProtectTimeout: expected integer")


def test_bool_only_where_a_boolean_is_expected() -> None:
    assert build_body(body_of("UpdateUser"), {"Enabled": False}) == {"Enabled": False}
    for value in (1, 0, "true"):
        assert refused("UpdateUser", {"Enabled": value}).startswith("Enabled: expected a boolean")


@pytest.mark.parametrize(
    ("value", "expected"), [(5, 5), (5.0, 5), ("42", 42), ("+3", 3), ("-7", -7), (Decimal("12"), 12)]
)
def test_integers_converted_only_when_whole(value: object, expected: int) -> None:
    result = coerce(value, {"type": "integer", "format": "int32"}, path="x")
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("value", [5.5, "4.2", "1e3", " 1", "", "0x10", Decimal("1.5"), float("inf"), None])
def test_integers_refused_when_lossy_or_not_numbers(value: object) -> None:
    with pytest.raises(BodyError, match=r"^x: "):
        coerce(value, {"type": "integer", "format": "int32"}, path="x")


def test_integer_ranges_follow_the_format() -> None:
    holiday = body_of("CreateHoliday")
    assert build_body(holiday, {"Day": 31, "Year": 2030}) == {"Day": 31, "Year": 2030}
    assert "out of range for uint8" in refused("CreateHoliday", {"Day": 256})
    assert "out of range for uint8" in refused("CreateHoliday", {"month": -1})
    assert coerce(2**63 - 1, {"type": "integer", "format": "int64"}, path="n") == 2**63 - 1
    with pytest.raises(BodyError, match="out of range for int64"):
        coerce(2**63, {"type": "integer", "format": "int64"}, path="n")
    with pytest.raises(BodyError, match="out of range for int32"):
        coerce(2**31, {"type": "integer", "format": "int32"}, path="n")


def test_numbers() -> None:
    double = {"type": "number", "format": "double"}
    assert coerce(2, double, path="n") == 2
    assert coerce(2.5, double, path="n") == 2.5
    assert coerce("2.5", double, path="n") == 2.5
    assert coerce(Decimal("0.10"), double, path="n") == 0.1
    assert coerce(Decimal("12"), double, path="n") == 12
    for bad in (True, float("nan"), float("inf"), "nan", "Infinity", "1e400", Decimal("0.1000000000000000000001")):
        with pytest.raises(BodyError, match=r"^n: "):
            coerce(bad, double, path="n")
    with pytest.raises(BodyError, match="out of range for float"):
        coerce(1e39, {"type": "number", "format": "float"}, path="n")


def test_non_finite_numbers_only_where_the_one_of_lists_their_odata_spelling() -> None:
    assert coerce(float("nan"), RATE, path="Rate", schemas=SCHEMAS) == "NaN"
    assert coerce(float("inf"), RATE, path="Rate") == "INF"
    assert coerce(float("-inf"), RATE, path="Rate") == "-INF"
    assert coerce(Decimal("-Infinity"), RATE, path="Rate") == "-INF"
    assert coerce(1.25, RATE, path="Rate") == 1.25
    assert coerce("abc", RATE, path="Rate") == "abc"  # the string option: IEEE754-compatible text
    with pytest.raises(BodyError, match="null is not allowed"):
        coerce(None, RATE, path="Rate")
    assert coerce(None, {**RATE, "nullable": True}, path="Rate") is None
    with pytest.raises(BodyError, match="NaN is not allowed"):
        coerce(float("nan"), {"one_of": [{"type": "number"}, {"type": "string"}]}, path="Rate")
    with pytest.raises(BodyError, match="matches none of the allowed types"):
        coerce([1], RATE, path="Rate")


def test_null_only_where_nullable() -> None:
    assert build_body(body_of("UpdateUser"), {"DisplayName": None}) == {"DisplayName": None}
    assert refused("UpdateUser", {"Id": None}) == "Id: null is not allowed"
    assert refused("RetreivePeersByNumbers", {"peers_request": {"DnNumbers": ["1", None]}}) == (
        "peersRequest.DnNumbers[1]: null is not allowed"
    )


def test_enums_take_members_and_unknown_text_but_only_text() -> None:
    user = body_of("UpdateUser")
    assert build_body(user, {"TranscriptionMode": TranscriptionType.BOTH}) == {"TranscriptionMode": "Both"}
    assert build_body(user, {"TranscriptionMode": "Voicemail"}) == {"TranscriptionMode": "Voicemail"}
    assert build_body(user, {"TranscriptionMode": "AddedIn21"}) == {"TranscriptionMode": "AddedIn21"}

    class Local(enum.Enum):
        RECORDINGS = "Recordings"

    assert build_body(user, {"TranscriptionMode": Local.RECORDINGS}) == {"TranscriptionMode": "Recordings"}
    assert type(build_body(user, {"TranscriptionMode": TranscriptionType.BOTH})["TranscriptionMode"]) is str
    assert refused("UpdateUser", {"TranscriptionMode": 2}).startswith("TranscriptionMode: expected a string (one of")


def test_enum_member_where_a_plain_string_is_expected_sends_its_value() -> None:
    assert build_body(body_of("UpdateUser"), {"Number": TranscriptionType.NOTHING}) == {"Number": "Nothing"}


def test_date_time() -> None:
    body = body_of("CreateBlocklistAddr")
    utc = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert build_body(body, {"expires_at": utc}) == {"ExpiresAt": "2030-01-02T03:04:05Z"}
    plus2 = datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=timezone(timedelta(hours=2)))
    assert build_body(body, {"ExpiresAt": plus2}) == {"ExpiresAt": "2030-01-02T03:04:05.600000+02:00"}
    for text in ("2030-01-02T03:04:05Z", "2030-01-02T03:04:05.1234567+05:30", "2030-01-02T03:04:59-01:00"):
        assert build_body(body, {"ExpiresAt": text}) == {"ExpiresAt": text}


def test_naive_datetime_is_refused() -> None:
    message = refused("CreateBlocklistAddr", {"ExpiresAt": datetime(2030, 1, 2, 3, 4, 5)})
    assert message.startswith("ExpiresAt: naive datetime")


@pytest.mark.parametrize(
    "value",
    [
        "2030-01-02T03:04:05",
        "2030-01-02",
        "2030-02-30T00:00:00Z",
        "2030-01-02T24:00:00Z",
        "2030-01-02T03:04Z",
        "2030-01-02t03:04:05z",
        "2030-01-02T03:04:05.1234567890123Z",
        "tomorrow",
        date(2030, 1, 2),
        0,
    ],
)
def test_date_time_refused_without_zone_or_invalid(value: object) -> None:
    assert refused("CreateBlocklistAddr", {"ExpiresAt": value}).startswith("ExpiresAt: ")


def test_durations() -> None:
    body = body_of("UpdateGeneralSettingsForPbx")
    assert build_body(body, {"HDAutoLogoutTime": timedelta(minutes=90)}) == {"HDAutoLogoutTime": "PT5400S"}
    cases = {
        timedelta(0): "PT0S",
        timedelta(seconds=1.5): "PT1.5S",
        timedelta(days=2): "P2D",
        timedelta(days=1, seconds=30, microseconds=1): "P1DT30.000001S",
        timedelta(seconds=-1): "-PT1S",
    }
    for value, text in cases.items():
        assert coerce(value, {"type": "string", "format": "duration"}, path="d") == text
    for text in ("PT1H", "P1DT2H3M4.5S", "-PT0.5S", "P3D"):
        assert build_body(body, {"HDAutoLogoutTime": text}) == {"HDAutoLogoutTime": text}
    for bad in ("1h", "PT", "P1DT", "P1Y", 300, 1.5):
        assert refused("UpdateGeneralSettingsForPbx", {"HDAutoLogoutTime": bad}).startswith("HDAutoLogoutTime: ")


def test_uuid_date_and_time_formats() -> None:
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    result = build_body(
        body_of("InstallUpdates"), {"install": {"entries": [key, "{12345678-1234-5678-1234-567812345678}"], "Key": key}}
    )
    assert result == {"install": {"Entries": [str(key), str(key)], "Key": str(key)}}
    uuid_descriptor = {"type": "string", "format": "uuid"}
    assert coerce(key, uuid_descriptor, path="u") == str(key)
    assert coerce(str(key).upper(), uuid_descriptor, path="u") == str(key)
    with pytest.raises(BodyError, match="expected a UUID"):
        coerce("not-a-uuid", uuid_descriptor, path="u")

    day = {"type": "string", "format": "date"}
    assert coerce(date(2030, 1, 2), day, path="d") == "2030-01-02"
    assert coerce("2030-01-02", day, path="d") == "2030-01-02"
    for bad in (datetime(2030, 1, 2, tzinfo=timezone.utc), "2030-13-01", "2030-1-2", 20300102):
        with pytest.raises(BodyError, match="expected a date"):
            coerce(bad, day, path="d")

    clock = {"type": "string", "format": "time", "nullable": True}
    assert coerce(time(9, 30), clock, path="t") == "09:30:00"
    assert coerce("09:30:00", clock, path="t") == "09:30:00"
    assert coerce("23:59:59.1234567", clock, path="t") == "23:59:59.1234567"
    for wrong in (time(9, 30, tzinfo=timezone.utc), "09:30", "24:00:00", "9:30:00", 930):
        with pytest.raises(BodyError, match=r"^t: "):
            coerce(wrong, clock, path="t")


def test_arrays_take_lists_and_tuples_only() -> None:
    body = body_of("RetreivePeersByNumbers")
    assert build_body(body, {"peers_request": {"DnNumbers": (1, "2")}}) == {"peersRequest": {"DnNumbers": ["1", "2"]}}
    for value in ("1234", {"a": 1}, {1, 2}, b"12"):
        assert refused("RetreivePeersByNumbers", {"peers_request": {"DnNumbers": value}}).startswith(
            "peersRequest.DnNumbers: expected a list"
        )


def test_object_refuses_non_mappings() -> None:
    assert refused("RetreivePeersByNumbers", {"peers_request": 5}) == "peersRequest: expected an object, got int 5"
    assert refused("RetreivePeersByNumbers", {"peers_request": [1]}).startswith("peersRequest: expected an object")


# --- models ----------------------------------------------------------------------------------------------------


def test_model_instance_is_converted_and_checked_like_a_dict() -> None:
    body = body_of("RetreivePeersByNumbers")
    model = RetreivePeersRequest.from_dict({"DnNumbers": [1234, "5678"], "IsReportPeers": True})
    assert build_body(body, {"peers_request": model}) == {
        "peersRequest": {"DnNumbers": ["1234", "5678"], "IsReportPeers": True}
    }
    assert build_body(body, {"peers_request": RetreivePeersRequest(dn_numbers=["1"])}) == {
        "peersRequest": {"DnNumbers": ["1"]}
    }
    bad = RetreivePeersRequest.from_dict({"DnNumbers": [1.5]})
    assert refused("RetreivePeersByNumbers", {"peers_request": bad}) == (
        "peersRequest.DnNumbers[0]: expected string, got float 1.5"
    )
    extra = RetreivePeersRequest.from_dict({"DnNumbers": [], "Surprise": 1})  # lands in additional_properties
    assert "peersRequest.Surprise: unknown field" in refused("RetreivePeersByNumbers", {"peers_request": extra})


def test_models_inside_lists() -> None:
    group = UserGroup.from_dict({"GroupId": 3, "Rights": {"RoleName": "users"}})
    result = build_body(body_of("UpdateUser"), {"groups": [group, {"GroupId": "4"}]})
    assert result == {"Groups": [{"GroupId": 3, "Rights": {"RoleName": "users"}}, {"GroupId": 4}]}


# --- the error type and the schemas ---------------------------------------------------------------------------


def test_body_error_is_a_value_error_with_path_and_problem_and_pickles() -> None:
    with pytest.raises(ValueError) as info:
        build_body(body_of("RetreivePeersByNumbers"), {"peers_request": {"DnNumbers": [True]}})
    error = info.value
    assert isinstance(error, BodyError)
    assert (error.path, error.problem) == ("peersRequest.DnNumbers[0]", "expected string, got bool True")
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.path) == (str(error), error.path)


def test_load_schemas_is_cached_and_read_only() -> None:
    assert load_schemas() is SCHEMAS
    assert SCHEMAS["ReferenceNumeric"]["enum"] == ["-INF", "INF", "NaN"]
    with pytest.raises(TypeError):
        SCHEMAS["X"] = {}  # type: ignore[index]


def test_a_ref_this_client_does_not_know() -> None:
    with pytest.raises(BodyError, match="schema 'Nope' is not known"):
        coerce({}, {"ref": "Nope"}, path="p")


def test_untyped_values_must_still_be_json() -> None:
    assert coerce({"a": (1, "b", None)}, {}, path="p") == {"a": [1, "b", None]}
    with pytest.raises(BodyError, match=r"^p\.a\[0\]: expected a JSON value"):
        coerce({"a": [datetime.now()]}, {}, path="p")
    with pytest.raises(BodyError, match="no JSON form"):
        build_body(body_of("UpdateUser"), {}, extra_body={"X": float("nan")})


# --- properties ---------------------------------------------------------------------------------------------------


@given(st.lists(st.integers()))
def test_any_int_list_becomes_decimal_strings(numbers: list[int]) -> None:
    result = build_body(body_of("RetreivePeersByNumbers"), {"peers_request": {"DnNumbers": numbers}})
    assert result == {"peersRequest": {"DnNumbers": [str(n) for n in numbers]}}


@given(st.text())
def test_any_text_survives_unchanged_in_string_fields(text: str) -> None:
    result = build_body(body_of("UpdateUser"), {"DisplayName": text, "EmailAddress": text})
    assert result == {"DisplayName": text, "EmailAddress": text}
    assert coerce(text, {"type": "string"}, path="s") == text


# --- every body of the registry ---------------------------------------------------------------------------------


def sample(descriptor: Mapping[str, Any], depth: int = 0) -> object:
    """A simple valid value for a descriptor (objects filled two levels deep)."""
    if "one_of" in descriptor:
        return sample(descriptor["one_of"][0], depth)
    if "ref" in descriptor:
        target = SCHEMAS[descriptor["ref"]]
        if "enum" in target:
            return target["enum"][0]
        return sample_object(target["properties"], depth)
    kind, fmt = descriptor.get("type"), descriptor.get("format")
    if kind == "array":
        return [sample(descriptor.get("items") or {}, depth)]
    if kind == "object":
        return sample_object(descriptor.get("properties") or {}, depth)
    if "enum" in descriptor:
        return descriptor["enum"][0]
    samples: dict[tuple[object, object], object] = {
        ("string", "date-time"): datetime(2030, 1, 2, tzinfo=timezone.utc),
        ("string", "date"): date(2030, 1, 2),
        ("string", "time"): time(8, 0),
        ("string", "duration"): timedelta(minutes=5),
        ("string", "uuid"): uuid.UUID(int=1),
        ("integer", "uint8"): 7,
        ("number", "float"): 1.5,
        ("number", "double"): 1.5,
        ("boolean", None): True,
    }
    if (kind, fmt) in samples:
        return samples[kind, fmt]
    return {"string": 1234, "integer": 7, "number": 2.5}.get(str(kind), "x")


def sample_object(properties: Mapping[str, Any], depth: int) -> dict[str, object]:
    if depth >= 2:
        return {}
    return {name: sample(descriptor, depth + 1) for name, descriptor in properties.items()}


BODIES = [(record["operation_id"], record["body"]) for record in registry.operations() if record["body"]]


def test_every_body_shape_is_covered() -> None:
    assert len(BODIES) > 150


def test_every_body_builds_empty_and_from_sample_values() -> None:
    for operation_id, body in BODIES:
        spec = fields_of(body_of(operation_id))
        assert build_body(spec, {}) == ({} if spec.required else None), operation_id
        properties = {p.name: p.schema for p in spec.properties}
        python_names = {p.name: p.python_name for p in spec.properties}
        arguments: dict[str, object] = {}
        for index, (name, descriptor) in enumerate(properties.items()):
            key = python_names.get(name, name) if index % 2 else name
            arguments[key] = sample(descriptor)
        result = build_body(spec, arguments)
        assert list(result) == list(properties), operation_id
        # what we send, the generated model reads back
        if body["module"] and body["model"]:
            model = getattr(importlib.import_module(body["module"]), body["model"])
            model.from_dict(result)
