"""XAPI (sync) on the wire: base URLs, credentials, tokens, errors, retries, options, paging, bodies, lifecycle.

Every test talks to a FakePBX (conftest) through ``httpx.MockTransport`` and asserts what was actually sent.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from threecx_xapi_client.models.user import User

from threecx_xapi import (
    XAPI,
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
    RawResponse,
    SyncPage,
    UnprocessableEntityError,
    XAPIError,
)
from threecx_xapi._token_cache import forget_all

BASE = "https://pbx.example.com:5001"
CLIENT_ID = "cid"
SECRET = "s3cr3t"
CAP_MESSAGE = (
    "The query specified in the URI is not valid. The limit of '100' for Top query has been exceeded. "
    "The value from the incoming request is '{asked}'."
)
ALREADY_IN_USE = {
    "error": {
        "code": "",
        "message": "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE",
        "details": [{"code": "", "message": "WARNINGS.XAPI.ALREADY_IN_USE", "target": "EmailAddress"}],
    }
}
DEFAULT_TIMEOUT = {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}


def error(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def sequence(*answers: Any) -> Any:
    """An api handler giving ``answers`` in turn (the last one forever)."""
    queue = list(answers)

    def api(request: httpx.Request) -> Any:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return api


def user_json(request: object = None) -> dict[str, Any]:
    return {"Id": 1, "FirstName": "Ada", "Number": "100"}


# --- base URL -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forms", "root"),
    [
        (
            ["https://pbx.example.com", "https://pbx.example.com/", "https://pbx.example.com/xapi/v1/"],
            "https://pbx.example.com",
        ),
        (
            [
                "https://pbx.example.com:5001",
                "https://pbx.example.com:5001/",
                "https://pbx.example.com:5001/xapi/v1",
                "https://pbx.example.com:5001/xapi/v1/",
                "  HTTPS://PBX.example.com:5001/xapi/v1/ ",
            ],
            "https://pbx.example.com:5001",
        ),
    ],
    ids=["default-port", "port-5001"],
)
def test_base_url_forms_send_identical_requests(make_fake: Any, forms: list[str], root: str) -> None:
    sent = []
    for form in forms:
        forget_all()  # each form fetches its own token from its own fake PBX
        fake = make_fake(user_json)
        pbx = fake.client(form)
        assert pbx.base_url == root + "/xapi/v1"
        pbx.users.get_user(1)
        sent.append([(r.method, str(r.url), r.content) for r in fake.requests])
    assert sent[0][0][:2] == ("POST", root + "/connect/token")
    assert sent[0][1] == ("GET", root + "/xapi/v1/Users(1)", b"")
    assert all(requests == sent[0] for requests in sent)


def test_base_url_keeps_a_reverse_proxy_prefix(make_fake: Any) -> None:
    fake = make_fake(user_json)
    fake.client("https://gw.example.com/pbx7/xapi/v1/").users.get_user(1)
    assert [str(r.url) for r in fake.requests] == [
        "https://gw.example.com/pbx7/connect/token",
        "https://gw.example.com/pbx7/xapi/v1/Users(1)",
    ]


@pytest.mark.parametrize(
    "base_url",
    [
        "pbx.example.com",
        "pbx.example.com:5001",
        "//pbx.example.com",
        "https://",
        "ftp://pbx.example.com",
        "https://admin:pw@pbx.example.com",
        "https://pbx.example.com/?tenant=1",
        "https://pbx.example.com:99999",
        "   ",
        "",
    ],
)
def test_base_url_without_scheme_or_host_is_refused_before_sending(make_fake: Any, base_url: str) -> None:
    fake = make_fake()
    with pytest.raises(ValueError, match=r"base_url|PBX address"):
        fake.client(base_url)
    assert fake.requests == []


# --- credentials from the environment -----------------------------------------------------------------------


def test_environment_supplies_url_and_credentials(make_fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREECX_XAPI_URL", "https://env.example.com:5001/xapi/v1/")
    monkeypatch.setenv("THREECX_XAPI_CLIENT_ID", "env-id")
    monkeypatch.setenv("THREECX_XAPI_CLIENT_SECRET", "env-secret")
    fake = make_fake(user_json)

    pbx = XAPI(http_client=fake.http())
    pbx.users.get_user(1)

    token, call = fake.requests
    assert str(token.url) == "https://env.example.com:5001/connect/token"
    assert dict(parse_qsl(token.content.decode())) == {
        "client_id": "env-id",
        "client_secret": "env-secret",
        "grant_type": "client_credentials",
    }
    assert str(call.url) == "https://env.example.com:5001/xapi/v1/Users(1)"
    assert "env-id" in repr(pbx)
    assert "env-secret" not in repr(pbx)


def test_arguments_win_over_the_environment(make_fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREECX_XAPI_URL", "https://env.example.com")
    monkeypatch.setenv("THREECX_XAPI_CLIENT_ID", "env-id")
    monkeypatch.setenv("THREECX_XAPI_CLIENT_SECRET", "env-secret")
    fake = make_fake(user_json)

    fake.client().users.get_user(1)

    token = fake.token_requests[0]
    assert str(token.url) == BASE + "/connect/token"
    assert dict(parse_qsl(token.content.decode()))["client_id"] == CLIENT_ID
    assert dict(parse_qsl(token.content.decode()))["client_secret"] == SECRET


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"THREECX_XAPI_CLIENT_ID": "id", "THREECX_XAPI_CLIENT_SECRET": "x"}, "THREECX_XAPI_URL"),
        ({"THREECX_XAPI_URL": BASE, "THREECX_XAPI_CLIENT_ID": "id"}, "THREECX_XAPI_CLIENT_SECRET"),
        ({"THREECX_XAPI_URL": BASE, "THREECX_XAPI_CLIENT_SECRET": "x"}, "THREECX_XAPI_CLIENT_ID"),
    ],
)
def test_missing_configuration_is_refused_naming_the_variable(
    make_fake: Any, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fake = make_fake()
    with pytest.raises(ValueError, match=missing):
        XAPI(http_client=fake.http())
    assert fake.requests == []


# --- tokens -------------------------------------------------------------------------------------------------


def test_token_is_requested_once_and_sent_as_bearer(make_fake: Any) -> None:
    fake = make_fake(user_json)
    pbx = fake.client()

    pbx.users.get_user(1)
    pbx.users.get_user(2)
    pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": ["100"]})

    (token,) = fake.token_requests
    assert token.method == "POST"
    assert token.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token.headers
    assert dict(parse_qsl(token.content.decode())) == {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "grant_type": "client_credentials",
    }
    assert [r.headers["Authorization"] for r in fake.api_requests] == [f"Bearer {fake.tokens[0]}"] * 3


def test_twenty_threads_starting_at_once_share_one_token_request(make_fake: Any) -> None:
    fake = make_fake(user_json, token_delay=0.2)
    pbx = fake.client()
    barrier = threading.Barrier(20)

    def first_call(number: int) -> Any:
        barrier.wait()
        return pbx.users.get_user(number)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(first_call, range(20)))

    assert len(results) == 20
    assert len(fake.token_requests) == 1
    assert len(fake.api_requests) == 20
    assert {fake.bearer(r) for r in fake.api_requests} == {fake.tokens[0]}


def test_a_401_refreshes_the_token_once_and_replays_the_request_once(make_fake: Any) -> None:
    def api(request: httpx.Request) -> Any:
        return error(401) if fake.bearer(request) == fake.tokens[0] else user_json(request)

    fake = make_fake(api)
    pbx = fake.client()

    user = pbx.users.get_user(1)

    assert user.first_name == "Ada"
    assert len(fake.token_requests) == 2
    assert fake.paths == [b"/xapi/v1/Users(1)"] * 2
    assert [fake.bearer(r) for r in fake.api_requests] == fake.tokens
    pbx.users.get_user(2)  # the new token is kept
    assert len(fake.token_requests) == 2
    assert fake.bearer(fake.last()) == fake.tokens[1]


def test_a_token_revoked_under_twenty_threads_is_replaced_once(make_fake: Any) -> None:
    """3CX keeps one live token per principal: a second token request would revoke the first replacement."""
    revoked: set[str] = set()

    def api(request: httpx.Request) -> Any:
        return error(401) if fake.bearer(request) in revoked else user_json()

    fake = make_fake(api)
    pbx = fake.client()
    pbx.users.get_user(0)
    revoked.add(fake.tokens[0])
    fake.token_delay = 0.1
    barrier = threading.Barrier(20)

    def call(number: int) -> Any:
        barrier.wait()
        return pbx.users.get_user(number)

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert len(list(pool.map(call, range(1, 21)))) == 20

    assert len(fake.token_requests) == 2
    rejected = [r for r in fake.api_requests if fake.bearer(r) == fake.tokens[0]][1:]
    replayed = [r for r in fake.api_requests if fake.bearer(r) == fake.tokens[1]]
    assert len(replayed) == 20
    assert {r.url.raw_path for r in rejected} <= {r.url.raw_path for r in replayed}


def test_a_401_on_a_post_replays_the_same_body(make_fake: Any) -> None:
    def api(request: httpx.Request) -> Any:
        return error(401) if fake.bearer(request) == fake.tokens[0] else {"value": []}

    fake = make_fake(api)
    fake.client().peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1234]})

    first, replay = fake.api_requests
    assert first.method == replay.method == "POST"
    assert first.content == replay.content == b'{"peersRequest":{"DnNumbers":["1234"]}}'


def test_a_second_401_raises_authentication_error_naming_the_client_id(make_fake: Any) -> None:
    fake = make_fake(lambda request: error(401, {"error": {"code": "", "message": "Unauthorized"}}))
    pbx = fake.client()

    with pytest.raises(AuthenticationError) as caught:
        pbx.users.get_user(1)

    assert len(fake.token_requests) == 2
    assert len(fake.api_requests) == 2
    exc = caught.value
    assert exc.status_code == 401
    assert "'cid'" in str(exc)
    assert SECRET not in str(exc) and SECRET not in repr(exc)
    assert all(token not in str(exc) for token in fake.tokens)


def test_a_rejected_token_request_raises_authentication_error_and_sends_nothing_else(make_fake: Any) -> None:
    fake = make_fake(token_status=401)

    with pytest.raises(AuthenticationError) as caught:
        fake.client().users.get_user(1)

    assert fake.api_requests == []
    assert len(fake.token_requests) == 1
    text = str(caught.value)
    assert "'cid'" in text
    assert "The request requires valid user authentication." in text
    assert SECRET not in text


def test_a_token_request_that_could_not_connect_is_retried(make_fake: Any, sleeps: list[float]) -> None:
    fake = make_fake(user_json)
    fake.token_errors.append(httpx.ConnectError("connection refused"))
    assert fake.client().users.get_user(1).id == 1
    assert len(fake.token_requests) == 2


def test_a_static_token_is_sent_as_is_and_a_401_is_final(make_fake: Any) -> None:
    fake = make_fake(lambda request: error(401))
    pbx = XAPI(BASE, token="static-token-value", http_client=fake.http())

    with pytest.raises(AuthenticationError) as caught:
        pbx.users.get_user(1)

    assert fake.token_requests == []
    assert [r.headers["Authorization"] for r in fake.api_requests] == ["Bearer static-token-value"]
    assert "static-token-value" not in str(caught.value)
    assert "static-token-value" not in repr(pbx)


# --- typed errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "body", "code", "message", "target", "details"),
    [
        (
            400,
            BadRequestError,
            ALREADY_IN_USE,
            None,
            "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE",
            None,
            [ErrorDetail(None, "WARNINGS.XAPI.ALREADY_IN_USE", "EmailAddress")],
        ),
        (403, PermissionDeniedError, {"error": {"code": "Forbidden", "message": "Access denied"}}, "Forbidden",
         "Access denied", None, []),
        (404, NotFoundError, {"error": {"code": "NotFound", "message": "No User 99", "target": "Id"}}, "NotFound",
         "No User 99", "Id", []),
        (
            409,
            ConflictError,
            {"error": {"code": "Conflict", "message": "Number taken",
                       "details": [{"code": "DUP", "message": "Number 100 exists", "target": "Number"}]}},
            "Conflict",
            "Number taken",
            None,
            [ErrorDetail("DUP", "Number 100 exists", "Number")],
        ),
        (422, UnprocessableEntityError, {"error": {"code": "Invalid", "message": "Bad range", "target": "Hours"}},
         "Invalid", "Bad range", "Hours", []),
        (429, RateLimitError, {"error": {"code": "Throttled", "message": "Slow down"}}, "Throttled", "Slow down",
         None, []),
        (500, InternalServerError, {"error": {"code": "", "message": "Object reference not set"}}, None,
         "Object reference not set", None, []),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else None,
)  # fmt: skip
def test_status_errors_are_typed_and_carry_the_odata_error(
    make_fake: Any,
    status: int,
    cls: type[APIStatusError],
    body: Any,
    code: str | None,
    message: str,
    target: str | None,
    details: list[ErrorDetail],
) -> None:
    fake = make_fake(lambda request: error(status, body, **{"Retry-After": "7"}))
    pbx = fake.client(max_retries=0)

    with pytest.raises(cls) as caught:
        pbx.users.create_user(body={"FirstName": "Ada", "EmailAddress": "ada@example.com"})

    exc = caught.value
    assert isinstance(exc, APIStatusError) and isinstance(exc, XAPIError)
    assert (exc.status_code, exc.code, exc.message, exc.target, exc.details) == (status, code, message, target, details)
    assert exc.response.status_code == status
    text = str(exc)
    assert text.startswith(f"POST /xapi/v1/Users -> {status} ")
    assert "\n" not in text
    assert message.replace("\n", " ") in text
    assert len(fake.api_requests) == 1
    if isinstance(exc, RateLimitError):
        assert exc.retry_after == 7.0


def test_400_already_in_use_names_the_field_and_the_warning(make_fake: Any) -> None:
    fake = make_fake(lambda request: error(400, ALREADY_IN_USE))
    with pytest.raises(BadRequestError) as caught:
        fake.client().users.create_user(body={"FirstName": "Ada", "EmailAddress": "ada@example.com"})
    assert str(caught.value) == "POST /xapi/v1/Users -> 400 Bad Request: EmailAddress: WARNINGS.XAPI.ALREADY_IN_USE"


def test_403_explains_the_role_and_the_console_restrictions(make_fake: Any) -> None:
    fake = make_fake(lambda request: error(403))
    with pytest.raises(PermissionDeniedError) as caught:
        fake.client().users.get_user(1)
    assert "System Owner" in str(caught.value)
    assert "IP allow list" in str(caught.value)


def test_404_of_a_function_explains_the_parameter_rules(make_fake: Any) -> None:
    fake = make_fake(lambda request: error(404))
    with pytest.raises(NotFoundError) as caught:
        fake.client().report_extension_statistics_by_group.get_extension_statistics_by_group_data(
            "GRP0000", datetime(2026, 3, 4, tzinfo=timezone.utc), datetime(2026, 3, 5, tzinfo=timezone.utc), 0
        )
    assert "in the order the API document lists them" in str(caught.value)


def test_429_reports_retry_after_once_retries_are_spent(make_fake: Any, sleeps: list[float]) -> None:
    fake = make_fake(lambda request: error(429, None, **{"Retry-After": "0"}))
    with pytest.raises(RateLimitError) as caught:
        fake.client().users.get_user(1)
    assert caught.value.retry_after == 0.0
    assert len(fake.api_requests) == 3  # a GET: retried twice
    assert sleeps == [0.0, 0.0]


# --- retries ------------------------------------------------------------------------------------------------


def test_get_503_is_retried_after_retry_after(make_fake: Any, sleeps: list[float]) -> None:
    fake = make_fake(sequence(error(503, None, **{"Retry-After": "0"}), user_json()))

    user = fake.client().users.get_user(1)

    assert user.id == 1
    assert fake.paths == [b"/xapi/v1/Users(1)"] * 2
    assert sleeps == [0.0]
    assert len(fake.token_requests) == 1


def test_get_503_without_retry_after_backs_off_then_gives_up(make_fake: Any, sleeps: list[float]) -> None:
    fake = make_fake(lambda request: error(503))

    with pytest.raises(InternalServerError):
        fake.client().users.get_user(1)

    assert len(fake.api_requests) == 3
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.625 and 0.75 <= sleeps[1] <= 1.25


@pytest.mark.parametrize(
    "call",
    [
        lambda pbx: pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1234]}),
        lambda pbx: pbx.users.regenerate_passwords(ids=[1, 2]),
        lambda pbx: pbx.users.update_user(1, body={"FirstName": "Ada"}),
        lambda pbx: pbx.users.delete_user(1),
    ],
    ids=["POST-RetreivePeersByNumbers", "POST-RegeneratePasswords", "PATCH-Users", "DELETE-Users"],
)
def test_a_change_that_timed_out_is_not_replayed(make_fake: Any, sleeps: list[float], call: Any) -> None:
    def api(request: httpx.Request) -> Any:
        return httpx.ReadTimeout("timed out", request=request)

    fake = make_fake(api)

    with pytest.raises(APITimeoutError) as caught:
        call(fake.client())

    assert len(fake.api_requests) == 1
    assert sleeps == []
    assert "not retried" in str(caught.value)
    assert caught.value.request is not None
    assert caught.value.request.url.raw_path == fake.last().url.raw_path


def test_a_post_answered_503_is_not_replayed(make_fake: Any, sleeps: list[float]) -> None:
    fake = make_fake(lambda request: error(503, None, **{"Retry-After": "0"}))
    with pytest.raises(InternalServerError):
        fake.client().peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1234]})
    assert len(fake.api_requests) == 1


def test_a_post_that_could_not_connect_is_replayed(make_fake: Any, sleeps: list[float]) -> None:
    answers = iter([httpx.ConnectError("connection refused"), {"value": [{"Number": "1234"}]}])
    fake = make_fake(lambda request: next(answers))

    result = fake.client().peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1234]})

    assert [peer.number for peer in result.value] == ["1234"]
    first, replay = fake.api_requests
    assert first.method == replay.method == "POST"
    assert first.content == replay.content == b'{"peersRequest":{"DnNumbers":["1234"]}}'
    assert len(sleeps) == 1


def test_a_get_that_timed_out_is_retried(make_fake: Any, sleeps: list[float]) -> None:
    answers = iter([httpx.ReadTimeout("slow"), user_json()])
    fake = make_fake(lambda request: next(answers))
    assert fake.client().users.get_user(1).id == 1
    assert len(fake.api_requests) == 2


def test_max_retries_zero_via_with_options(make_fake: Any, sleeps: list[float]) -> None:
    fake = make_fake(lambda request: error(503, None, **{"Retry-After": "0"}))
    pbx = fake.client()

    with pytest.raises(InternalServerError):
        pbx.with_options(max_retries=0).users.get_user(1)
    assert len(fake.api_requests) == 1

    fake.api = lambda request: httpx.ConnectError("connection refused")
    with pytest.raises(APIConnectionError) as caught:
        pbx.with_options(max_retries=0).users.get_user(1)
    assert not isinstance(caught.value, APITimeoutError)
    assert len(fake.api_requests) == 2

    fake.api = lambda request: error(503, None, **{"Retry-After": "0"})
    with pytest.raises(InternalServerError):
        pbx.users.get_user(1)  # the original keeps its two retries
    assert len(fake.api_requests) == 5
    assert sleeps == [0.0, 0.0]


# --- per-call options ---------------------------------------------------------------------------------------


def test_timeouts_reach_the_request(make_fake: Any) -> None:
    fake = make_fake(user_json)
    pbx = fake.client()

    pbx.users.get_user(1)
    pbx.users.get_user(1, timeout=5.0)
    pbx.users.get_user(1, timeout=None)
    pbx.with_options(timeout=httpx.Timeout(2.0, connect=1.0)).users.get_user(1)
    pbx.with_options(timeout=2.0).users.get_user(1, timeout=9.0)
    fake.client(timeout=7.0).users.get_user(1)

    assert [r.extensions["timeout"] for r in fake.api_requests] == [
        DEFAULT_TIMEOUT,
        {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0},
        {"connect": None, "read": None, "write": None, "pool": None},
        {"connect": 1.0, "read": 2.0, "write": 2.0, "pool": 2.0},
        {"connect": 9.0, "read": 9.0, "write": 9.0, "pool": 9.0},
        {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0},
    ]


def test_extra_headers_reach_the_request(make_fake: Any) -> None:
    fake = make_fake(user_json)
    fake.client().users.get_user(1, extra_headers={"X-Request-Id": "r-1"})
    request = fake.last()
    assert request.headers["X-Request-Id"] == "r-1"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == f"Bearer {fake.tokens[0]}"


def test_generated_header_parameters_reach_the_request(make_fake: Any) -> None:
    fake = make_fake(lambda request: None)
    fake.client().users.delete_user(7, if_match="*")
    assert (fake.last().method, fake.last().url.raw_path) == ("DELETE", b"/xapi/v1/Users(7)")
    assert fake.last().headers["If-Match"] == "*"


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda pbx: pbx.users.get_user(1, extra_query={"foo": "bar"}), b"/xapi/v1/Users(1)?foo=bar"),
        (
            lambda pbx: pbx.users.get_user(1, select=["Id"], extra_query={"foo": "bar"}),
            b"/xapi/v1/Users(1)?$select=Id&foo=bar",
        ),
        (
            lambda pbx: pbx.users.get_user(1, select="Id", extra_query={"note": "a b&c=d", "flag": True}),
            b"/xapi/v1/Users(1)?$select=Id&note=a%20b%26c%3Dd&flag=true",
        ),
        (
            lambda pbx: pbx.backups.get_failover_scripts(top=10, extra_query={"$format": "json"}),
            b"/xapi/v1/Backups/Pbx.GetFailoverScripts()?$top=10&$format=json",
        ),
    ],
    ids=["alone", "appended", "encoded", "function"],
)
def test_extra_query_is_appended(make_fake: Any, call: Any, path: bytes) -> None:
    fake = make_fake(lambda request: {"Id": 1, "value": []})
    call(fake.client())
    assert fake.paths == [path]


def test_with_options_headers_share_the_token(make_fake: Any) -> None:
    fake = make_fake(user_json)
    pbx = fake.client()
    scoped = pbx.with_options(headers={"X-Tenant": "t1"})

    scoped.users.get_user(1)
    pbx.users.get_user(2)
    scoped.users.get_user(3)

    assert len(fake.token_requests) == 1
    assert [r.headers.get("X-Tenant") for r in fake.api_requests] == ["t1", None, "t1"]
    assert {fake.bearer(r) for r in fake.api_requests} == {fake.tokens[0]}


# --- paging -------------------------------------------------------------------------------------------------


def contacts_with_a_cap(total: int = 250, cap: int = 100) -> Any:
    contacts = [{"Id": n, "FirstName": f"C{n}"} for n in range(1, total + 1)]

    def api(request: httpx.Request) -> Any:
        options = dict(request.url.params.multi_items())
        top = int(options.get("$top", total))
        skip = int(options.get("$skip", 0))
        if top > cap:
            return error(400, {"error": {"code": "", "message": CAP_MESSAGE.format(asked=top)}})
        return {"@odata.context": "$metadata#Contacts", "value": contacts[skip : skip + top]}

    return api


def test_auto_paging_survives_the_top_cap_and_yields_every_contact_once(make_fake: Any) -> None:
    fake = make_fake(contacts_with_a_cap())

    contacts = list(fake.client().contacts.list_contact(top=500).auto_paging())

    assert [c.id for c in contacts] == list(range(1, 251))
    assert fake.paths == [
        b"/xapi/v1/Contacts?$top=500",
        b"/xapi/v1/Contacts?$top=100&$skip=0",
        b"/xapi/v1/Contacts?$top=100&$skip=100",
        b"/xapi/v1/Contacts?$top=100&$skip=200",
    ]
    assert len(fake.token_requests) == 1


def test_auto_paging_from_an_offset_under_the_top_cap(make_fake: Any) -> None:
    fake = make_fake(contacts_with_a_cap())

    contacts = list(fake.client().contacts.list_contact(top=500, skip=50).auto_paging())

    assert [c.id for c in contacts] == list(range(51, 251))
    assert fake.paths == [
        b"/xapi/v1/Contacts?$top=500&$skip=50",
        b"/xapi/v1/Contacts?$top=100&$skip=50",
        b"/xapi/v1/Contacts?$top=100&$skip=150",
        b"/xapi/v1/Contacts?$top=100&$skip=250",
    ]


def test_paging_keeps_options_and_extra_query_on_every_page(make_fake: Any) -> None:
    fake = make_fake(contacts_with_a_cap())

    page = fake.client().contacts.list_contact(
        top=100, skip=0, orderby="Id", select=["Id"], extra_query={"tag": "x"}, extra_headers={"X-Trace": "1"}
    )
    pages = list(page.iter_pages())

    assert isinstance(page, SyncPage)
    assert [len(p.items) for p in pages] == [100, 100, 50]
    assert fake.paths == [
        b"/xapi/v1/Contacts?$top=100&$skip=0&$orderby=Id&$select=Id&tag=x",
        b"/xapi/v1/Contacts?$top=100&$skip=100&$orderby=Id&$select=Id&tag=x",
        b"/xapi/v1/Contacts?$top=100&$skip=200&$orderby=Id&$select=Id&tag=x",
    ]
    assert all(r.headers["X-Trace"] == "1" for r in fake.api_requests)


@pytest.mark.parametrize(
    "kwargs", [{"top": -1}, {"skip": -5}, {"skip": 1.5}, {"top": 2.0}, {"top": True}, {"top": "10"}]
)
def test_bad_top_or_skip_is_refused_before_any_request(make_fake: Any, kwargs: dict[str, Any]) -> None:
    fake = make_fake()
    with pytest.raises(ValueError, match=r"\$top|\$skip"):
        fake.client().contacts.list_contact(**kwargs)
    assert fake.requests == []


# --- arguments and bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda pbx: pbx.backups.get_failover_scripts(select=["Id"]),
        lambda pbx: pbx.users.get_user(1, top=5),
        lambda pbx: pbx.users.get_user(1, extra_body={"X": 1}),
        lambda pbx: pbx.peers.retreive_peers_by_numbers(dn_numbers=[1]),
    ],
    ids=["select-on-failover-scripts", "top-on-get", "extra_body-on-get", "unknown-keyword"],
)
def test_an_option_the_operation_does_not_take_is_a_type_error(make_fake: Any, call: Any) -> None:
    fake = make_fake()
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        call(fake.client())
    assert fake.requests == []


def test_an_unknown_body_field_is_refused_naming_it(make_fake: Any) -> None:
    fake = make_fake()
    pbx = fake.client()

    with pytest.raises(ValueError, match="FirstNmae") as caught:
        pbx.users.update_user(7, body={"FirstName": "Ada", "FirstNmae": "Ada"})
    assert "extra_body" in str(caught.value)

    with pytest.raises(ValueError, match=r"peersRequest\.Nope"):
        pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1], "Nope": 2})

    assert fake.requests == []


def test_extra_body_lets_an_unknown_field_through(make_fake: Any) -> None:
    fake = make_fake(lambda request: None if request.method == "PATCH" else {"value": []})
    pbx = fake.client()

    pbx.users.update_user(7, body={"FirstName": "Ada"}, extra_body={"NewIn21": {"On": True}})
    pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1]}, extra_body={"Scope": "all"})

    assert [json.loads(r.content) for r in fake.api_requests] == [
        {"FirstName": "Ada", "NewIn21": {"On": True}},
        {"peersRequest": {"DnNumbers": ["1"]}, "Scope": "all"},
    ]


@pytest.mark.parametrize(
    "body", [{"FirstName": "Ada"}, {"first_name": "Ada"}, User(first_name="Ada")], ids=["wire", "python", "model"]
)
def test_patch_sends_exactly_the_given_fields(make_fake: Any, body: Any) -> None:
    fake = make_fake(lambda request: None)

    result = fake.client().users.update_user(7, body=body)

    assert result is None
    request = fake.last()
    assert (request.method, request.url.raw_path) == ("PATCH", b"/xapi/v1/Users(7)")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"FirstName": "Ada"}


# --- raw responses ------------------------------------------------------------------------------------------


def test_raw_response_gives_status_headers_and_the_parsed_value(make_fake: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"value": []} if request.url.path.endswith("/Contacts") else user_json(request)
        return httpx.Response(200, json=body, headers={"X-3CX-Version": "20.0.10.1109"})

    fake = make_fake(answer)
    pbx = fake.client()

    raw = pbx.users.with_raw_response.get_user(1)

    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["X-3CX-Version"] == "20.0.10.1109"
    assert raw.xapi_version == "20.0.10.1109"
    assert (raw.parsed.id, raw.parsed.first_name) == (1, "Ada")
    assert raw.parse() is raw.parsed
    assert raw.http_response.request.url.raw_path == b"/xapi/v1/Users(1)"

    page = pbx.contacts.with_raw_response.list_contact(top=5)
    assert isinstance(page.parsed, SyncPage)
    assert page.xapi_version == "20.0.10.1109"


def test_raw_response_still_raises_status_errors(make_fake: Any) -> None:
    fake = make_fake(lambda request: error(404))
    with pytest.raises(NotFoundError):
        fake.client().users.with_raw_response.get_user(1)


# --- secrets stay secret ------------------------------------------------------------------------------------


def collect_errors(make_fake: Any) -> tuple[list[BaseException], list[str], Any]:
    """An exception of every kind, raised by clients that hold a secret and (mostly) a token."""
    errors: list[BaseException] = []
    tokens: list[str] = []
    scenarios = [
        lambda request: error(401),
        lambda request: error(400, ALREADY_IN_USE),
        lambda request: error(403),
        lambda request: error(500, None),
        lambda request: httpx.ReadTimeout("read timed out", request=request),
        lambda request: httpx.ConnectError("connection refused", request=request),
        lambda request: error(429, {"error": {"code": "", "message": "slow down"}}, **{"Retry-After": "0"}),
    ]
    pbx = None
    for api in scenarios:
        forget_all()  # each scenario's fake PBX issues its own token
        fake = make_fake(api)
        pbx = fake.client(max_retries=0)
        try:
            pbx.users.regenerate_passwords(ids=[1])
        except XAPIError as exc:
            errors.append(exc)
        tokens += fake.tokens
    forget_all()
    fake = make_fake(token_status=401)
    try:
        fake.client().users.get_user(1)
    except XAPIError as exc:
        errors.append(exc)
    return errors, tokens, pbx


def test_no_exception_and_no_repr_shows_the_secret_or_the_token(make_fake: Any) -> None:
    errors, tokens, pbx = collect_errors(make_fake)

    assert len(errors) == 8
    assert tokens
    for exc in errors:
        for text in (str(exc), repr(exc)):
            assert SECRET not in text
            assert all(token not in text for token in tokens)
    for text in (repr(pbx), repr(pbx.users), repr(pbx.with_options(max_retries=1))):
        assert "cid" in text
        assert SECRET not in text
        assert all(token not in text for token in tokens)


def test_a_server_echoing_the_bearer_token_in_a_text_body_is_redacted(make_fake: Any) -> None:
    def api(request: httpx.Request) -> Any:
        return httpx.Response(502, text=f"upstream failed for Authorization: {request.headers['Authorization']}")

    fake = make_fake(api)
    with pytest.raises(InternalServerError) as caught:
        fake.client(max_retries=0).users.get_user(1)
    assert fake.tokens[0] not in str(caught.value)


def test_a_server_echoing_the_bearer_token_in_an_odata_message_is_redacted(make_fake: Any) -> None:
    def api(request: httpx.Request) -> Any:
        return error(400, {"error": {"code": "", "message": f"bad token {fake.bearer(request)}"}})

    fake = make_fake(api)
    with pytest.raises(BadRequestError) as caught:
        fake.client().users.get_user(1)
    assert fake.tokens[0] not in str(caught.value)


def test_a_token_endpoint_echoing_the_form_body_does_not_leak_the_secret(make_fake: Any) -> None:
    def token_echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text=f"Bad request: {request.content.decode()}")

    pbx = XAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET, http_client=httpx.Client(
        transport=httpx.MockTransport(token_echo)))  # fmt: skip
    with pytest.raises(AuthenticationError) as caught:
        pbx.users.get_user(1)
    assert SECRET not in str(caught.value)


# --- lifecycle ----------------------------------------------------------------------------------------------


def test_context_manager_closes_the_client_it_made() -> None:
    with XAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET) as pbx:
        own = pbx._http
        assert not own.is_closed
    assert own.is_closed


def test_close_of_a_with_options_copy_leaves_the_pool_open() -> None:
    pbx = XAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET)
    pbx.with_options(timeout=1.0).close()
    assert not pbx._http.is_closed
    pbx.close()
    assert pbx._http.is_closed


def test_a_caller_supplied_http_client_is_not_closed(make_fake: Any) -> None:
    fake = make_fake(user_json)
    http = fake.http()

    with XAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET, http_client=http) as pbx:
        pbx.users.get_user(1)
    assert not http.is_closed

    pbx = XAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET, http_client=http)
    pbx.close()
    assert not http.is_closed
    assert http.get(BASE + "/xapi/v1/Users(1)").status_code == 200  # still usable
    http.close()
