"""Error answers and response models of the generated client: what a caller gets back from odd PBX and proxy bodies.

Calls go through the user's surface, ``pbx.<resource>.<operation>(...)`` on ``XAPI``/``AsyncXAPI`` with a static
token and an ``httpx.MockTransport``; a few read an endpoint module's ``parse`` directly, the contract every
operation's 2xx answer goes through.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from threecx_xapi_client.api.users import export_extensions, get_user_by_number
from threecx_xapi_client.models.call_log_data import CallLogData
from threecx_xapi_client.models.directory_parameters import DirectoryParameters
from threecx_xapi_client.models.file_system_type import FileSystemType
from threecx_xapi_client.models.get_directory_info_body import GetDirectoryInfoBody
from threecx_xapi_client.models.queue_status_type import QueueStatusType
from threecx_xapi_client.models.user import User
from threecx_xapi_client.models.user_collection_response import UserCollectionResponse

from threecx_xapi import (
    XAPI,
    APIResponseValidationError,
    APIStatusError,
    AsyncXAPI,
    AuthenticationError,
    BadRequestError,
    ErrorDetail,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    SyncPage,
)
from threecx_xapi._models import Model
from threecx_xapi._paging import PageData

ROOT = "https://pbx.example.com"
EXPORT = "GET /xapi/v1/Users/Pbx.ExportExtensions()"

# wire-facts.md, "Errors": the shape 3CX answers a failed PATCH with (plus a top-level target)
ODATA_ERROR = {
    "error": {
        "code": "",
        "message": "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE",
        "target": "User",
        "details": [{"code": "", "message": "WARNINGS.XAPI.ALREADY_IN_USE", "target": "EmailAddress"}],
    }
}


def pbx_answering(response: httpx.Response, *, max_retries: int = 2) -> tuple[XAPI, list[httpx.Request]]:
    """An ``XAPI`` whose every request gets ``response``, and the list the requests are recorded in."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return XAPI(ROOT, token="t", max_retries=max_retries, http_client=http), seen


def answered(status: int = 200, **kwargs: Any) -> httpx.Response:
    """A response as the client receives it: with the request it answers, as ``parse`` sees it."""
    return httpx.Response(status, request=httpx.Request("GET", ROOT + "/xapi/v1/Users(Number='5')"), **kwargs)


# --- errors -----------------------------------------------------------------------------------------------


def test_a_failed_patch_raises_with_the_parsed_odata_error() -> None:
    pbx, seen = pbx_answering(httpx.Response(400, json=ODATA_ERROR))
    with pytest.raises(BadRequestError) as info:
        pbx.users.update_user(29, body=User(email_address="a@b.c"))
    exc = info.value
    assert len(seen) == 1  # a 400 is not retried
    assert isinstance(exc, APIStatusError)
    assert exc.status_code == 400
    assert exc.code is None  # a blank code reads None, as a missing one does
    assert exc.message == "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE"
    assert exc.target == "User"
    assert exc.details == [ErrorDetail(code=None, message="WARNINGS.XAPI.ALREADY_IN_USE", target="EmailAddress")]
    assert b"ALREADY_IN_USE" in exc.response.content
    assert exc.request is not None
    assert (exc.request.method, exc.request.url.raw_path) == ("PATCH", b"/xapi/v1/Users(29)")
    assert str(exc) == "PATCH /xapi/v1/Users(29) -> 400 Bad Request: EmailAddress: WARNINGS.XAPI.ALREADY_IN_USE"
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is BadRequestError
    assert str(again) == str(exc)
    assert (again.code, again.message, again.target, again.details) == (exc.code, exc.message, exc.target, exc.details)


def test_the_raw_response_variant_raises_the_same_error() -> None:
    pbx, _ = pbx_answering(httpx.Response(400, json=ODATA_ERROR))
    with pytest.raises(BadRequestError) as info:
        pbx.users.with_raw_response.update_user(29, body=User(email_address="a@b.c"))
    assert info.value.message == "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE"
    assert info.value.details[0].target == "EmailAddress"


def test_async_raises_the_same_parsed_odata_error() -> None:
    async def run() -> BadRequestError:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(400, json=ODATA_ERROR))
        ) as h:
            pbx = AsyncXAPI(ROOT, token="t", http_client=h)
            with pytest.raises(BadRequestError) as info:
                await pbx.users.update_user(29, body=User(email_address="a@b.c"))
            return info.value

    exc = asyncio.run(run())
    assert (exc.status_code, exc.code, exc.message, exc.target) == (
        400,
        None,
        "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE",
        "User",
    )
    assert exc.details == [ErrorDetail(code=None, message="WARNINGS.XAPI.ALREADY_IN_USE", target="EmailAddress")]
    assert str(exc) == "PATCH /xapi/v1/Users(29) -> 400 Bad Request: EmailAddress: WARNINGS.XAPI.ALREADY_IN_USE"


def test_success_returns_the_model_and_a_2xx_without_the_declared_body_raises() -> None:
    pbx, _ = pbx_answering(httpx.Response(200, json={"Id": 5}))
    raw = pbx.users.with_raw_response.get_user_by_number("5")
    assert raw.status_code == 200
    assert raw.parsed.id == 5
    assert get_user_by_number.parse(answered(json={"Id": 5})) == User(id=5)

    pbx, _ = pbx_answering(httpx.Response(204))
    with pytest.raises(APIResponseValidationError) as info:
        pbx.users.get_user_by_number("5")
    assert info.value.status_code == 204
    assert info.value.problem == "has a status the operation declares no body for"
    with pytest.raises(APIResponseValidationError):
        get_user_by_number.parse(answered(204))


@pytest.mark.parametrize(
    ("status", "content", "headers", "error_class", "code", "message", "summary"),
    [
        pytest.param(401, b"", {}, AuthenticationError, None, None, "", id="empty"),
        pytest.param(401, b"  \r\n", {}, AuthenticationError, None, None, "", id="blank"),
        pytest.param(
            502,
            b"<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>",
            {"Content-Type": "text/html"},
            InternalServerError,
            None,
            None,
            "502 Bad Gateway",  # an HTML page by its title
            id="html",
        ),
        pytest.param(
            403, b"Forbidden", {"Content-Type": "text/plain"}, PermissionDeniedError, None, None, "Forbidden", id="text"
        ),
        pytest.param(
            404,
            b'{"Message":"No route"}',
            {"Content-Type": "application/json"},
            NotFoundError,
            None,
            None,
            '{"Message":"No route"}',
            id="no-error",
        ),
        pytest.param(
            500, b"[1, 2]", {"Content-Type": "application/json"}, InternalServerError, None, None, "[1, 2]", id="array"
        ),
        pytest.param(
            500, b"null", {"Content-Type": "application/json"}, InternalServerError, None, None, "null", id="json-null"
        ),
        pytest.param(
            500,
            b'{"error": "boom"}',
            {"Content-Type": "application/json"},
            InternalServerError,
            "boom",  # read as an OAuth error: the string is its code
            None,
            "boom",
            id="str",
        ),
        pytest.param(
            401,
            b'{"error":"unauthorized","error_description":"The request requires valid user authentication."}',
            {"Content-Type": "application/json"},
            AuthenticationError,
            "unauthorized",
            "The request requires valid user authentication.",
            "unauthorized: The request requires valid user authentication.",
            id="token-endpoint",
        ),
        pytest.param(
            504, b"\xff\xfe not utf-8", {}, InternalServerError, None, None, "\ufffd\ufffd not utf-8", id="binary"
        ),
    ],
)
def test_odd_error_bodies_do_not_crash(
    status: int,
    content: bytes,
    headers: dict[str, str],
    error_class: type[APIStatusError],
    code: str | None,
    message: str | None,
    summary: str,
) -> None:
    pbx, seen = pbx_answering(httpx.Response(status, content=content, headers=headers), max_retries=0)
    with pytest.raises(APIStatusError) as info:
        pbx.users.export_extensions()
    exc = info.value
    assert len(seen) == 1
    assert type(exc) is error_class
    assert exc.status_code == status
    assert (exc.code, exc.message, exc.target, exc.details) == (code, message, None, [])
    # the exception keeps a redacted copy of the body: decoded and encoded again, so bytes that are not
    # UTF-8 come back as U+FFFD
    assert exc.response.content == content.decode("utf-8", "replace").encode()
    head = f"{EXPORT} -> {status} {httpx.codes.get_reason_phrase(status)}"
    if summary:
        head += f": {summary}"
    assert str(exc) == head or str(exc).startswith(head + "; hint: "), str(exc)


def test_long_error_text_is_shortened() -> None:
    pbx, _ = pbx_answering(httpx.Response(500, content=b"x" * 5000), max_retries=0)
    with pytest.raises(InternalServerError) as info:
        pbx.users.export_extensions()
    head = f"{EXPORT} -> 500 Internal Server Error: "
    assert str(info.value).startswith(head)
    shortened = str(info.value).removeprefix(head)
    assert 0 < len(shortened) <= 200
    assert shortened.startswith("xxx")
    assert info.value.response.content == b"x" * 5000  # the body itself is kept whole


@pytest.mark.parametrize("details", [5, True])
def test_error_details_of_the_wrong_type_do_not_crash(details: object) -> None:
    body = {"error": {"code": "E", "message": "m", "details": details}}
    pbx, _ = pbx_answering(httpx.Response(400, json=body))
    with pytest.raises(BadRequestError) as info:
        pbx.users.export_extensions()
    assert (info.value.code, info.value.message, info.value.details) == ("E", "m", [])
    assert str(info.value) == f"{EXPORT} -> 400 Bad Request: E: m"


@pytest.mark.parametrize("details", [None, "text", {"code": "x"}, [1, "x", None]])
def test_error_details_that_are_not_a_list_of_objects_are_ignored(details: object) -> None:
    body = {"error": {"code": 7, "message": None, "target": 3, "details": details}}
    pbx, _ = pbx_answering(httpx.Response(400, json=body))
    with pytest.raises(BadRequestError) as info:
        pbx.users.export_extensions()
    exc = info.value
    assert (exc.code, exc.message, exc.target, exc.details) == ("7", None, "3", [])
    assert str(exc) == f"{EXPORT} -> 400 Bad Request: 7"


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
    status = user.queue_status
    assert status is QueueStatusType.LOGGEDIN
    assert status.is_known is True


def test_unknown_value_in_a_non_nullable_enum_and_through_the_wire() -> None:
    params = DirectoryParameters.from_dict({"Filesystem": "Dropbox"})
    assert isinstance(params.filesystem, FileSystemType)
    assert params.filesystem.is_known is False
    assert params.to_dict() == {"Filesystem": "Dropbox"}

    pbx, _ = pbx_answering(httpx.Response(200, json={"value": [{"Id": 1, "QueueStatus": "Paused"}]}))
    page = pbx.users.export_extensions()
    assert isinstance(page, SyncPage)
    (user,) = page.items
    status = user.queue_status
    assert isinstance(status, QueueStatusType)
    assert status.value == "Paused"
    assert status.is_known is False
    assert user.to_dict() == {"Id": 1, "QueueStatus": "Paused"}


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


FromDict = Callable[[Mapping[str, Any]], Model]

WRONG_SHAPES_RAISE = [
    pytest.param(User.from_dict, {"AgentSettings": "settings"}, id="nullable-ref-string"),
    pytest.param(User.from_dict, {"AgentSettings": 5}, id="nullable-ref-number"),
    pytest.param(User.from_dict, {"AgentSettings": []}, id="nullable-ref-array"),
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": "x"}, id="ref-string"),
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": 5}, id="ref-number"),
    pytest.param(UserCollectionResponse.from_dict, {"value": ["x"]}, id="list-item-string"),
    pytest.param(UserCollectionResponse.from_dict, {"value": [7]}, id="list-item-number"),
    pytest.param(User.from_dict, {"Groups": ["DEFAULT"]}, id="nested-list-item-string"),
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": []}, id="ref-empty-array"),
    pytest.param(GetDirectoryInfoBody.from_dict, {"parameters": [["Path", "/x"]]}, id="ref-array-of-pairs"),
    pytest.param(UserCollectionResponse.from_dict, {"value": [[]]}, id="list-item-array"),
]


@pytest.mark.parametrize(("from_dict", "data"), WRONG_SHAPES_RAISE)
def test_nested_value_that_is_not_an_object_raises(from_dict: FromDict, data: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        from_dict(data)


def test_nested_wrong_shape_through_the_wire_raises_a_validation_error() -> None:
    pbx, _ = pbx_answering(httpx.Response(200, json={"Id": 1, "AgentSettings": "oops"}))
    with pytest.raises(APIResponseValidationError) as info:
        pbx.users.get_user_by_number("1")
    exc = info.value
    assert exc.status_code == 200
    assert exc.problem == (
        "does not match the declared type (User.AgentSettings: AgentSettings: expected a JSON object, got str)"
    )
    assert exc.excerpt == '{"Id":1,"AgentSettings":"oops"}'


def test_a_collection_item_of_the_wrong_shape_raises_a_validation_error() -> None:
    pbx, _ = pbx_answering(httpx.Response(200, json={"value": ["x"]}))
    with pytest.raises(APIResponseValidationError, match=r"User: expected a JSON object, got str"):
        pbx.users.export_extensions()


# --- collections ------------------------------------------------------------------------------------------

CONTEXT = "https://pbx.example.com/xapi/v1/$metadata#Users"
NEXT_LINK = "https://pbx.example.com/xapi/v1/Users?$skip=2"
PAGE_BODY = {
    "@odata.context": CONTEXT,
    "@odata.count": 12,
    "@odata.nextLink": NEXT_LINK,
    "value": [{"Id": 1, "Number": "100"}, {"Id": 2}],
}


def test_collection_exposes_items_count_context_and_next_link() -> None:
    pbx, seen = pbx_answering(httpx.Response(200, json=PAGE_BODY))
    page = pbx.users.export_extensions(top=2, count=True)
    assert len(seen) == 1  # the first page only: later pages are fetched by iterating
    assert isinstance(page, SyncPage)
    assert [type(u) for u in page.items] == [User, User]
    assert [(u.id, u.number) for u in page.items] == [(1, "100"), (2, None)]
    assert [u.fields_set for u in page.items] == [{"id", "number"}, {"id"}]
    assert page.count == 12
    assert page.context == CONTEXT
    assert page.next_link == NEXT_LINK

    # what the endpoint module's parse hands the page: the same data, and the response it came from
    response = answered(json=PAGE_BODY)
    data = export_extensions.parse(response)
    assert isinstance(data, PageData)
    assert data == PageData(items=page.items, count=12, next_link=NEXT_LINK, context=CONTEXT)
    assert data.http_response is response


def test_collection_model_round_trips() -> None:
    collection = UserCollectionResponse.from_dict(PAGE_BODY)
    assert isinstance(collection.value, list)
    assert [(u.id, u.number) for u in collection.value] == [(1, "100"), (2, None)]
    assert collection.odata_count == 12
    assert collection.odata_context == CONTEXT
    assert collection.odata_next_link == NEXT_LINK
    assert collection.additional_properties == {}
    assert collection.to_dict() == PAGE_BODY


def test_collection_without_count_or_links() -> None:
    pbx, _ = pbx_answering(httpx.Response(200, json={"value": []}))
    page = pbx.users.export_extensions()
    assert isinstance(page, SyncPage)
    assert page.items == []
    assert list(page) == []
    assert page.count is None
    assert page.context is None
    assert page.next_link is None

    collection = UserCollectionResponse.from_dict({"value": []})
    assert collection.value == []
    assert (collection.odata_count, collection.odata_context, collection.odata_next_link) == (None, None, None)
    assert collection.fields_set == {"value"}
