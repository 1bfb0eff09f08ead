"""status_error_from_response: the right class, the OData fields, and a message that never crashes or leaks."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from threecx_xapi._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    XAPIError,
)
from threecx_xapi._status_errors import status_error_from_response, token_error_from_response

BASE = "https://pbx.example.com/xapi/v1"
ODATA_CONFLICT = {
    "error": {
        "code": "",
        "message": "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE",
        "details": [{"code": "", "message": "WARNINGS.XAPI.ALREADY_IN_USE", "target": "EmailAddress"}],
    }
}


def response(
    status: int,
    *,
    method: str = "GET",
    url: str = f"{BASE}/Users",
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    request = httpx.Request(method, url, headers={"Authorization": "Bearer eyJhbGc.eyJzdWIi.c2ln"})
    return httpx.Response(status, request=request, headers=headers, **body)


def test_hierarchy() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, XAPIError)
    assert issubclass(APIStatusError, XAPIError)
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
        InternalServerError,
    ):
        assert issubclass(cls, APIStatusError)
    assert not issubclass(APIStatusError, APIConnectionError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
        (405, APIStatusError),
    ],
)
def test_class_is_chosen_by_status(status: int, cls: type[APIStatusError]) -> None:
    error = status_error_from_response(response(status))
    assert type(error) is cls
    assert error.status_code == status
    assert isinstance(error.response, httpx.Response)


def test_odata_fields_are_parsed() -> None:
    error = status_error_from_response(response(409, method="POST", json=ODATA_CONFLICT))
    assert isinstance(error, ConflictError)
    assert error.code is None  # "" carries nothing
    assert error.message == "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE"
    assert error.target is None
    assert error.details == [ErrorDetail(code=None, message="WARNINGS.XAPI.ALREADY_IN_USE", target="EmailAddress")]
    assert str(error) == "POST /xapi/v1/Users -> 409 Conflict: EmailAddress: WARNINGS.XAPI.ALREADY_IN_USE"


def test_details_not_in_the_message_are_shown() -> None:
    body = {
        "error": {
            "code": "BadRequest",
            "message": "Validation failed",
            "target": "Number",
            "details": [
                {"code": "x", "message": "WARNINGS.XAPI.INVALID", "target": "Number"},
                {"message": "WARNINGS.XAPI.REQUIRED", "target": "FirstName"},
                "junk",
                {},
            ],
        }
    }
    error = status_error_from_response(response(400, json=body))
    assert error.code == "BadRequest"
    assert error.target == "Number"
    assert len(error.details) == 2
    text = str(error)
    assert "BadRequest: Validation failed" in text
    assert "Number: WARNINGS.XAPI.INVALID" in text
    assert "FirstName: WARNINGS.XAPI.REQUIRED" in text


def test_many_details_are_summarised() -> None:
    details = [{"message": f"M{i}", "target": f"T{i}"} for i in range(12)]
    error = status_error_from_response(response(400, json={"error": {"message": "bad", "details": details}}))
    assert len(error.details) == 12
    assert "and 7 more" in str(error)


def test_oauth_body() -> None:
    body = {"error": "unauthorized", "error_description": "The request requires valid user authentication."}
    error = status_error_from_response(response(401, json=body), hint_client_id="sdk-client")
    assert isinstance(error, AuthenticationError)
    assert error.code == "unauthorized"
    assert error.message == "The request requires valid user authentication."
    assert "unauthorized: The request requires valid user authentication." in str(error)
    assert "client id 'sdk-client'" in str(error)


def test_problem_details_body() -> None:
    body = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {"Number": ["The Number field is required."], "Id": "bad"},
    }
    error = status_error_from_response(response(400, json=body))
    assert error.message == "One or more validation errors occurred."
    assert ErrorDetail(message="The Number field is required.", target="Number") in error.details
    assert "(The Number field is required.; Id: bad)" in str(error)  # no "Number:" when the text names it


def test_odata_v3_message_object() -> None:
    body = {"odata.error": {"code": "E1", "message": {"lang": "en-US", "value": "Broken"}}}
    error = status_error_from_response(response(500, json=body))
    assert (error.code, error.message) == ("E1", "Broken")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"content": b""}, "GET /xapi/v1/Users -> 502 Bad Gateway"),
        ({"content": b"   \n"}, "GET /xapi/v1/Users -> 502 Bad Gateway"),
        (
            {
                "content": b"<html><head><title>502 Bad Gateway</title></head>"
                b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
                "headers": {"Content-Type": "text/html"},
            },
            "GET /xapi/v1/Users -> 502 Bad Gateway: 502 Bad Gateway",
        ),
        (
            {"content": b"<html><body><p>Service &amp; stuff</p><script>var x = 1;</script></body></html>"},
            "GET /xapi/v1/Users -> 502 Bad Gateway: Service & stuff",
        ),
        ({"text": "upstream   timed\nout"}, "GET /xapi/v1/Users -> 502 Bad Gateway: upstream timed out"),
        ({"json": ["a", "b"]}, 'GET /xapi/v1/Users -> 502 Bad Gateway: ["a","b"]'),
        ({"json": {"foo": 1}}, 'GET /xapi/v1/Users -> 502 Bad Gateway: {"foo":1}'),
        ({"json": {"error": None}}, 'GET /xapi/v1/Users -> 502 Bad Gateway: {"error":null}'),
        ({"json": "just a string"}, 'GET /xapi/v1/Users -> 502 Bad Gateway: "just a string"'),
        ({"content": b"\xff\xfe\xfa not utf-8"}, "GET /xapi/v1/Users -> 502 Bad Gateway:"),
        ({"content": b"[" * 100_000}, "GET /xapi/v1/Users -> 502 Bad Gateway: [[[["),
    ],
)
def test_unstructured_bodies_do_not_crash(kwargs: dict[str, Any], expected: str) -> None:
    error = status_error_from_response(response(502, **kwargs))
    assert isinstance(error, InternalServerError)
    assert str(error).startswith(expected)
    assert error.code is None and error.details == []


def test_snippet_is_at_most_200_chars() -> None:
    error = status_error_from_response(response(500, text="x" * 5000))
    summary = str(error).split(": ", 1)[1]
    assert len(summary) <= 200
    assert summary.endswith("...")


def test_streamed_response_that_was_not_read() -> None:
    request = httpx.Request("GET", f"{BASE}/Users")
    streamed = httpx.Response(500, request=request, stream=httpx.ByteStream(b"secret body"))
    assert str(status_error_from_response(streamed)) == "GET /xapi/v1/Users -> 500 Internal Server Error"


def test_response_without_request() -> None:
    assert str(status_error_from_response(httpx.Response(404))) == "HTTP 404 Not Found"


def test_403_hint() -> None:
    error = status_error_from_response(response(403, json={"error": {"code": "", "message": "Forbidden"}}))
    text = str(error)
    assert text.startswith("GET /xapi/v1/Users -> 403 Forbidden: Forbidden; hint:")
    assert "System Owner" in text
    assert "IP" in text and "console restrictions" in text


def test_404_hint_for_pbx_functions_only() -> None:
    url = f"{BASE}/Pbx.GetSystemParameters()"
    fn = status_error_from_response(response(404, url=f"{BASE}/Users/Pbx.GetPhoneRegistrar(mac='00:11')"))
    assert "quoted" in str(fn) and "order" in str(fn) and "complete" in str(fn)
    assert "hint" in str(status_error_from_response(response(404, url=url)))
    assert "hint" not in str(status_error_from_response(response(404, url=f"{BASE}/Users(42)")))
    assert "hint" not in str(status_error_from_response(response(404, url=f"{BASE}/Pbx.Thing")))


def test_401_hint_names_client_id_only_when_given() -> None:
    assert "client id 'abc'" in str(status_error_from_response(response(401), hint_client_id="abc"))
    assert "client id" not in str(status_error_from_response(response(401)))


def test_no_authorization_header_or_tokens_in_messages() -> None:
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    body = f"echo: Authorization: Bearer {jwt} and Basic Y3VzdG9tZXItcG9ydGFsOnNlY3JldA== and {jwt}"
    error = status_error_from_response(response(400, text=body))
    for text in (str(error), repr(error)):
        assert jwt not in text
        assert "eyJhbGc.eyJzdWIi.c2ln" not in text  # the request's header
        assert "Y3VzdG9tZXItcG9ydGFsOnNlY3JldA" not in text
        assert "Bearer ***" in text


def retry_after(headers: dict[str, str]) -> float | None:
    error = status_error_from_response(response(429, headers=headers))
    assert isinstance(error, RateLimitError)
    return error.retry_after


def test_rate_limit_retry_after() -> None:
    assert retry_after({"Retry-After": "7"}) == 7.0
    assert retry_after({}) is None
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after({"Retry-After": "soon"}) is None


def test_token_endpoint_error() -> None:
    body = {"error": "invalid_client", "error_description": "The client is unknown."}
    token = response(400, method="POST", url="https://pbx.example.com/connect/token", json=body)
    error = token_error_from_response(token, client_id="abc", url="https://pbx.example.com/connect/token")
    assert isinstance(error, AuthenticationError)
    assert error.status_code == 400
    assert str(error) == (
        "token request for client id 'abc' failed: POST https://pbx.example.com/connect/token -> 400 Bad Request: "
        "invalid_client: The client is unknown."
    )
    redirect = response(
        301,
        method="POST",
        url="http://pbx.example.com/connect/token",
        headers={"Location": "https://pbx/connect/token"},
    )
    moved = token_error_from_response(redirect, client_id="abc", url="http://pbx.example.com/connect/token")
    assert type(moved) is APIStatusError
    assert "redirects to https://pbx/connect/token" in str(moved)


def test_connection_errors() -> None:
    request = httpx.Request("GET", f"{BASE}/Users", headers={"Authorization": "Bearer abc.def.ghi"})
    kept = APIConnectionError(request=request).request
    assert kept is not None and kept.url == request.url
    assert kept.headers["Authorization"] == "Bearer ***"
    assert str(APITimeoutError()) == "Request timed out."


@given(st.binary(max_size=400))
def test_any_bytes_never_crash(body: bytes) -> None:
    error = status_error_from_response(response(500, content=body))
    assert str(error).startswith("GET /xapi/v1/Users -> 500")
    assert len(str(error)) < 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values, st.sampled_from(["error", "odata.error", "errors", "title"]))
def test_any_json_never_crashes(value: object, key: str) -> None:
    for body in (value, {key: value}, {"error": {"message": value, "details": value, "code": value}}):
        error = status_error_from_response(response(400, content=json.dumps(body).encode()))
        assert str(error).startswith("GET /xapi/v1/Users -> 400 Bad Request")


@pytest.mark.parametrize(
    "cls",
    [
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
        InternalServerError,
        APIStatusError,
    ],
)
def test_every_status_error_pickles_to_itself_without_the_token(cls: type[APIStatusError]) -> None:
    import pickle

    error = cls("GET /xapi/v1/Users -> boom", response=response(400, json=ODATA_CONFLICT), code="c")
    data = pickle.dumps(error)
    assert b"eyJhbGc" not in data
    twin = pickle.loads(data)
    assert type(twin) is cls and str(twin) == str(error) and twin.code == "c"
    assert twin.response.request.headers["Authorization"] == "Bearer ***"


def test_connection_errors_pickle() -> None:
    import pickle

    request = httpx.Request("GET", f"{BASE}/Users", headers={"Authorization": "Bearer abc.def.ghi"})
    for error in (APIConnectionError("down", request=request), APITimeoutError("slow", request=request)):
        twin = pickle.loads(pickle.dumps(error))
        assert type(twin) is type(error) and str(twin) == str(error)
        assert twin.request is not None and twin.request.headers["Authorization"] == "Bearer ***"


def test_a_path_with_control_characters_is_escaped_in_the_message() -> None:
    hostile = response(404, url=f"{BASE}/Users('a%0D%0AX-Forged%3A%201%1B%5B31m')")
    text = str(status_error_from_response(hostile))
    assert "\r" not in text and "\n" not in text and "\x1b" not in text
    assert "a\\r\\nX-Forged: 1\\x1b[31m" in text


def test_a_secret_after_the_snippet_limit_is_still_blanked() -> None:
    secret = "Zq9-secret-value-that-is-long-enough"
    for padding in (150, 180, 195, 199, 3990, 3999):
        body = "p" * padding + secret
        error = status_error_from_response(response(500, text=body), secrets=[secret])
        for piece in (secret[i : i + 6] for i in range(len(secret) - 5)):
            assert piece not in str(error)
            assert piece not in error.response.text
