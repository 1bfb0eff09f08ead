"""Error answers and response models of the generated client: what a caller gets back from odd PBX and proxy bodies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from threecx_xapi_client import Client
from threecx_xapi_client.api.users import export_extensions, get_user_by_number, update_user
from threecx_xapi_client.errors import ODataError, UnexpectedStatus
from threecx_xapi_client.models.call_log_data import CallLogData
from threecx_xapi_client.models.directory_parameters import DirectoryParameters
from threecx_xapi_client.models.file_system_type import FileSystemType
from threecx_xapi_client.models.get_directory_info_body import GetDirectoryInfoBody
from threecx_xapi_client.models.queue_status_type import QueueStatusType
from threecx_xapi_client.models.user import User
from threecx_xapi_client.models.user_collection_response import UserCollectionResponse

BASE = "https://pbx.example.com/xapi/v1"

# wire-facts.md, "Errors": the shape 3CX answers a failed PATCH with (plus a top-level target)
ODATA_ERROR = {
    "error": {
        "code": "",
        "message": "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE",
        "target": "User",
        "details": [{"code": "", "message": "WARNINGS.XAPI.ALREADY_IN_USE", "target": "EmailAddress"}],
    }
}


def client_answering(response: httpx.Response) -> tuple[Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response

    client = Client(base_url=BASE).set_httpx_client(httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler)))
    return client, seen


# --- errors -----------------------------------------------------------------------------------------------


def test_sync_raises_with_the_parsed_odata_error() -> None:
    client, seen = client_answering(httpx.Response(400, json=ODATA_ERROR))
    with pytest.raises(UnexpectedStatus) as info:
        update_user.sync(29, client=client, body=User(email_address="a@b.c"))
    exc = info.value
    assert len(seen) == 1
    assert exc.status_code == 400
    assert exc.error.code == ""
    assert exc.error.message == "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE"
    assert exc.error.target == "User"
    assert [(d.code, d.message, d.target) for d in exc.error.details] == [
        ("", "WARNINGS.XAPI.ALREADY_IN_USE", "EmailAddress")
    ]
    assert b"ALREADY_IN_USE" in exc.content
    assert "400" in str(exc)
    assert "PATCH /xapi/v1/Users(29)" in str(exc)
    assert "WARNINGS.XAPI.ALREADY_IN_USE" in str(exc)


def test_sync_detailed_returns_the_error_without_raising() -> None:
    client, _ = client_answering(httpx.Response(400, json=ODATA_ERROR))
    response = update_user.sync_detailed(29, client=client, body=User(email_address="a@b.c"))
    assert response.status_code == 400
    assert response.parsed is None
    assert response.error is not None
    assert response.error.message == "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE"
    assert response.error.details[0].target == "EmailAddress"
    with pytest.raises(UnexpectedStatus) as info:
        response.unwrap()
    assert info.value.error == response.error


def test_success_has_no_error_and_unwraps() -> None:
    client, _ = client_answering(httpx.Response(200, json={"Id": 5}))
    response = get_user_by_number.sync_detailed("5", client=client)
    assert response.error is None
    assert response.unwrap().id == 5


@pytest.mark.parametrize(
    ("status", "content", "headers", "message", "text"),
    [
        pytest.param(401, b"", {}, "", "", id="empty"),
        pytest.param(401, b"  \r\n", {}, "", "", id="blank"),
        pytest.param(
            502,
            b"<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>",
            {"Content-Type": "text/html"},
            "",
            "<html><head><title>502 Bad Gateway</title></head> <body>nginx</body></html>",
            id="html",
        ),
        pytest.param(403, b"Forbidden", {"Content-Type": "text/plain"}, "", "Forbidden", id="text"),
        pytest.param(
            404,
            b'{"Message":"No route"}',
            {"Content-Type": "application/json"},
            "",
            '{"Message":"No route"}',
            id="no-error",
        ),
        pytest.param(500, b"[1, 2]", {"Content-Type": "application/json"}, "", "[1, 2]", id="json-array"),
        pytest.param(500, b"null", {"Content-Type": "application/json"}, "", "null", id="json-null"),
        pytest.param(
            500, b'{"error": "boom"}', {"Content-Type": "application/json"}, "", '{"error": "boom"}', id="str"
        ),
        pytest.param(
            401,
            b'{"error":"unauthorized","error_description":"The request requires valid user authentication."}',
            {"Content-Type": "application/json"},
            "The request requires valid user authentication.",
            "",
            id="token-endpoint",
        ),
        pytest.param(504, b"\xff\xfe not utf-8", {}, "", "\ufffd\ufffd not utf-8", id="binary"),
    ],
)
def test_odd_error_bodies_do_not_crash(
    status: int, content: bytes, headers: dict[str, str], message: str, text: str
) -> None:
    client, _ = client_answering(httpx.Response(status, content=content, headers=headers))
    response = export_extensions.sync_detailed(client=client)
    assert response.status_code == status
    assert response.parsed is None
    assert response.error is not None
    assert (response.error.message, response.error.text) == (message, text)
    with pytest.raises(UnexpectedStatus) as info:
        export_extensions.sync(client=client)
    assert info.value.status_code == status
    assert info.value.content == content
    assert f"HTTP {status}" in str(info.value)
    if message or text:
        assert (message or text)[:20] in str(info.value)


def test_long_error_text_is_shortened() -> None:
    error = ODataError.from_response(httpx.Response(500, content=b"x" * 5000))
    assert 0 < len(error.text) <= 200


@pytest.mark.parametrize("details", [5, True])
def test_error_details_of_the_wrong_type_do_not_crash(details: object) -> None:
    body = {"error": {"code": "E", "message": "m", "details": details}}
    error = ODataError.from_response(httpx.Response(400, json=body))
    assert (error.code, error.message, error.details) == ("E", "m", [])


@pytest.mark.parametrize("details", [None, "text", {"code": "x"}, [1, "x", None]])
def test_error_details_that_are_not_a_list_of_objects_are_ignored(details: object) -> None:
    body = {"error": {"code": 7, "message": None, "target": 3, "details": details}}
    error = ODataError.from_response(httpx.Response(400, json=body))
    assert (error.code, error.message, error.target, error.details) == ("7", "", "3", [])


# --- enums ------------------------------------------------------------------------------------------------


def test_unknown_enum_value_is_kept_and_round_trips() -> None:
    user = User.from_dict({"Id": 3, "QueueStatus": "OnBreak"})
    status = user.queue_status
    assert isinstance(status, QueueStatusType)
    assert status.is_known is False
    assert status.value == "OnBreak"
    assert status == "OnBreak"
    assert user.to_dict() == {"Id": 3, "QueueStatus": "OnBreak"}


def test_known_enum_value_is_the_member() -> None:
    user = User.from_dict({"QueueStatus": "LoggedIn"})
    assert user.queue_status is QueueStatusType.LOGGEDIN
    assert user.queue_status.is_known is True


def test_unknown_value_in_a_non_nullable_enum_and_through_the_wire() -> None:
    params = DirectoryParameters.from_dict({"Filesystem": "Dropbox"})
    assert isinstance(params.filesystem, FileSystemType)
    assert params.filesystem.is_known is False
    assert params.to_dict() == {"Filesystem": "Dropbox"}

    client, _ = client_answering(httpx.Response(200, json={"value": [{"Id": 1, "QueueStatus": "Paused"}]}))
    page = export_extensions.sync(client=client)
    assert isinstance(page, UserCollectionResponse)
    assert isinstance(page.value, list)
    status = page.value[0].queue_status
    assert isinstance(status, QueueStatusType)
    assert status.value == "Paused"
    assert status.is_known is False
    assert page.to_dict() == {"value": [{"Id": 1, "QueueStatus": "Paused"}]}


# --- models -----------------------------------------------------------------------------------------------


def test_missing_and_null_both_read_none_and_fields_set_tells_them_apart() -> None:
    user = User.from_dict({"FirstName": None})
    assert user.first_name is None
    assert user.queue_status is None
    assert user.fields_set == frozenset({"first_name"})
    assert user.to_dict() == {"FirstName": None}
    assert User.from_dict({}).to_dict() == {}


def test_full_round_trip_and_unknown_keys_kept() -> None:
    wire: dict[str, Any] = {
        "Id": 29,
        "Number": "100",
        "FirstName": None,
        "QueueStatus": "LoggedOut",
        "AgentSettings": None,
        "Groups": [{"GroupId": 1, "Name": "DEFAULT"}],
        "BrandNewField": {"x": 1},
    }
    user = User.from_dict(wire)
    assert user.first_name is None
    assert user.additional_properties == {"BrandNewField": {"x": 1}}
    assert user.to_dict() == wire


def test_lower_camel_case_key_is_a_field() -> None:
    row = CallLogData.from_dict({"actionDnDn": "100"})
    assert row.action_dn_dn == "100"
    assert row.additional_properties == {}
    assert row.to_dict() == {"actionDnDn": "100"}


WRONG_SHAPES_RAISE = [
    pytest.param(User.from_dict, {"AgentSettings": "settings"}, id="nullable-ref-string"),
    pytest.param(User.from_dict, {"AgentSettings": 5}, id="nullable-ref-number"),
    pytest.param(User.from_dict, {"AgentSettings": []}, id="nullable-ref-array"),
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": "x"}, id="ref-string"),
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": 5}, id="ref-number"),
    pytest.param(UserCollectionResponse.from_dict, {"value": ["x"]}, id="list-item-string"),
    pytest.param(UserCollectionResponse.from_dict, {"value": [7]}, id="list-item-number"),
    pytest.param(User.from_dict, {"Groups": ["DEFAULT"]}, id="nested-list-item-string"),
]
WRONG_SHAPES_RAISE += [
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": []}, id="ref-empty-array"),
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": [["Path", "/x"]]}, id="ref-array-of-pairs"),
    pytest.param(UserCollectionResponse.from_dict, {"value": [[]]}, id="list-item-array"),
]


@pytest.mark.parametrize(("from_dict", "data"), WRONG_SHAPES_RAISE)
def test_nested_value_that_is_not_an_object_raises(from_dict: Any, data: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        from_dict(data)


def test_nested_wrong_shape_through_the_wire_raises() -> None:
    client, _ = client_answering(httpx.Response(200, json={"Id": 1, "AgentSettings": "oops"}))
    with pytest.raises(TypeError):
        get_user_by_number.sync("1", client=client)


# --- collections ------------------------------------------------------------------------------------------


def test_collection_exposes_items_count_context_and_next_link() -> None:
    body = {
        "@odata.context": "https://pbx.example.com/xapi/v1/$metadata#Users",
        "@odata.count": 12,
        "@odata.nextLink": "https://pbx.example.com/xapi/v1/Users?$skip=2",
        "value": [{"Id": 1, "Number": "100"}, {"Id": 2}],
    }
    client, _ = client_answering(httpx.Response(200, json=body))
    page = export_extensions.sync(client=client, top=2, count=True)
    assert isinstance(page, UserCollectionResponse)
    assert isinstance(page.value, list)
    assert [type(u) for u in page.value] == [User, User]
    assert [(u.id, u.number) for u in page.value] == [(1, "100"), (2, None)]
    assert [u.fields_set for u in page.value] == [{"id", "number"}, {"id"}]
    assert page.odata_count == 12
    assert page.odata_context == "https://pbx.example.com/xapi/v1/$metadata#Users"
    assert page.odata_next_link == "https://pbx.example.com/xapi/v1/Users?$skip=2"
    assert page.additional_properties == {}
    assert page.to_dict() == body


def test_collection_without_count_or_links() -> None:
    client, _ = client_answering(httpx.Response(200, json={"value": []}))
    page = export_extensions.sync(client=client)
    assert isinstance(page, UserCollectionResponse)
    assert page.value == []
    assert page.odata_count is None
    assert page.odata_context is None
    assert page.odata_next_link is None
    assert page.fields_set == {"value"}
