"""AsyncXAPI on the wire: the same guarantees as XAPI (test_client.py), awaited.

No asyncio plugin: each test runs its coroutine with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import httpx
import pytest
from threecx_xapi_client.models.user import User

from threecx_xapi import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncPage,
    AsyncXAPI,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RawResponse,
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

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    async def wrapper() -> T:
        return await main()

    return asyncio.run(wrapper())


def error(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def user_json(request: object = None) -> dict[str, Any]:
    return {"Id": 1, "FirstName": "Ada", "Number": "100"}


# --- base URL and configuration -----------------------------------------------------------------------------


def test_base_url_forms_send_identical_requests(make_fake: Any) -> None:
    forms = [
        "https://pbx.example.com:5001",
        "https://pbx.example.com:5001/",
        "https://pbx.example.com:5001/xapi/v1",
        "https://pbx.example.com:5001/xapi/v1/",
    ]
    sent = []
    for form in forms:
        forget_all()  # each form fetches its own token from its own fake PBX
        fake = make_fake(user_json)

        async def main(form: str = form, fake: Any = fake) -> None:
            async with fake.async_client(form) as pbx:
                assert pbx.base_url == BASE + "/xapi/v1"
                await pbx.users.get_user(1)

        run(main)
        sent.append([(r.method, str(r.url), r.content) for r in fake.requests])
    assert [(m, u) for m, u, _ in sent[0]] == [("POST", BASE + "/connect/token"), ("GET", BASE + "/xapi/v1/Users(1)")]
    assert all(requests == sent[0] for requests in sent)


@pytest.mark.parametrize("base_url", ["pbx.example.com", "pbx.example.com:5001", "//pbx.example.com", "ftp://pbx"])
def test_base_url_without_scheme_or_host_is_refused_before_sending(make_fake: Any, base_url: str) -> None:
    fake = make_fake()
    with pytest.raises(ValueError, match="base_url"):
        fake.async_client(base_url)
    assert fake.requests == []


def test_environment_supplies_url_and_credentials(make_fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREECX_XAPI_URL", "https://env.example.com/")
    monkeypatch.setenv("THREECX_XAPI_CLIENT_ID", "env-id")
    monkeypatch.setenv("THREECX_XAPI_CLIENT_SECRET", "env-secret")
    fake = make_fake(user_json)

    async def main() -> None:
        await AsyncXAPI(http_client=fake.ahttp()).users.get_user(1)

    run(main)
    token, call = fake.requests
    assert str(token.url) == "https://env.example.com/connect/token"
    assert dict(parse_qsl(token.content.decode())) == {
        "client_id": "env-id",
        "client_secret": "env-secret",
        "grant_type": "client_credentials",
    }
    assert str(call.url) == "https://env.example.com/xapi/v1/Users(1)"


def test_missing_secret_is_refused_naming_the_variable(make_fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREECX_XAPI_URL", BASE)
    monkeypatch.setenv("THREECX_XAPI_CLIENT_ID", "env-id")
    fake = make_fake()
    with pytest.raises(ValueError, match="THREECX_XAPI_CLIENT_SECRET"):
        AsyncXAPI(http_client=fake.ahttp())
    assert fake.requests == []


# --- tokens -------------------------------------------------------------------------------------------------


def test_token_is_requested_once_and_sent_as_bearer(make_fake: Any) -> None:
    fake = make_fake(user_json)

    async def main() -> None:
        pbx = fake.async_client()
        await pbx.users.get_user(1)
        await pbx.users.get_user(2)
        await pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": ["100"]})

    run(main)
    (token,) = fake.token_requests
    assert token.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token.headers
    assert dict(parse_qsl(token.content.decode()))["client_secret"] == SECRET
    assert [r.headers["Authorization"] for r in fake.api_requests] == [f"Bearer {fake.tokens[0]}"] * 3


def test_twenty_coroutines_starting_at_once_share_one_token_request(make_fake: Any) -> None:
    fake = make_fake(user_json, token_delay=0.1)

    async def main() -> list[Any]:
        pbx = fake.async_client()
        return await asyncio.gather(*(pbx.users.get_user(n) for n in range(20)))

    results = run(main)
    assert len(results) == 20
    assert len(fake.token_requests) == 1
    assert len(fake.api_requests) == 20
    assert {fake.bearer(r) for r in fake.api_requests} == {fake.tokens[0]}


def test_a_401_refreshes_the_token_once_and_replays_the_request_once(make_fake: Any) -> None:
    def api(request: httpx.Request) -> Any:
        return error(401) if fake.bearer(request) == fake.tokens[0] else user_json()

    fake = make_fake(api)

    async def main() -> Any:
        pbx = fake.async_client()
        user = await pbx.users.get_user(1)
        await pbx.users.get_user(2)
        return user

    assert run(main).first_name == "Ada"
    assert len(fake.token_requests) == 2
    assert fake.paths == [b"/xapi/v1/Users(1)", b"/xapi/v1/Users(1)", b"/xapi/v1/Users(2)"]
    assert [fake.bearer(r) for r in fake.api_requests] == [fake.tokens[0], fake.tokens[1], fake.tokens[1]]


def test_a_token_revoked_under_twenty_coroutines_is_replaced_once(make_fake: Any) -> None:
    revoked: set[str] = set()

    def api(request: httpx.Request) -> Any:
        return error(401) if fake.bearer(request) in revoked else user_json()

    fake = make_fake(api)

    async def main() -> list[Any]:
        pbx = fake.async_client()
        await pbx.users.get_user(0)
        revoked.add(fake.tokens[0])
        fake.token_delay = 0.1
        return await asyncio.gather(*(pbx.users.get_user(n) for n in range(1, 21)))

    assert len(run(main)) == 20
    assert len(fake.token_requests) == 2
    assert len([r for r in fake.api_requests if fake.bearer(r) == fake.tokens[1]]) == 20


def test_a_second_401_raises_authentication_error_naming_the_client_id(make_fake: Any) -> None:
    fake = make_fake(lambda request: error(401))

    async def main() -> None:
        await fake.async_client().users.get_user(1)

    with pytest.raises(AuthenticationError) as caught:
        run(main)
    assert len(fake.token_requests) == 2
    assert len(fake.api_requests) == 2
    assert "'cid'" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert all(token not in str(caught.value) for token in fake.tokens)


def test_a_rejected_token_request_raises_authentication_error(make_fake: Any) -> None:
    fake = make_fake(token_status=401)

    async def main() -> None:
        await fake.async_client().users.get_user(1)

    with pytest.raises(AuthenticationError, match="'cid'") as caught:
        run(main)
    assert fake.api_requests == []
    assert SECRET not in str(caught.value)


# --- typed errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "body", "code", "target", "details"),
    [
        (400, BadRequestError, ALREADY_IN_USE, None, None,
         [ErrorDetail(None, "WARNINGS.XAPI.ALREADY_IN_USE", "EmailAddress")]),
        (403, PermissionDeniedError, {"error": {"code": "Forbidden", "message": "m"}}, "Forbidden", None, []),
        (404, NotFoundError, {"error": {"code": "NotFound", "message": "m", "target": "Id"}}, "NotFound", "Id", []),
        (409, ConflictError, {"error": {"code": "C", "message": "m", "details": [{"message": "d", "target": "N"}]}},
         "C", None, [ErrorDetail(None, "d", "N")]),
        (422, UnprocessableEntityError, {"error": {"code": "U", "message": "m"}}, "U", None, []),
        (429, RateLimitError, {"error": {"code": "R", "message": "m"}}, "R", None, []),
        (500, InternalServerError, {"error": {"code": "", "message": "m"}}, None, None, []),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else None,
)  # fmt: skip
def test_status_errors_are_typed_and_carry_the_odata_error(
    make_fake: Any,
    status: int,
    cls: type[APIStatusError],
    body: Any,
    code: str | None,
    target: str | None,
    details: list[ErrorDetail],
) -> None:
    fake = make_fake(lambda request: error(status, body))

    async def main() -> None:
        await fake.async_client(max_retries=0).users.create_user(body={"FirstName": "Ada"})

    with pytest.raises(cls) as caught:
        run(main)
    exc = caught.value
    assert isinstance(exc, XAPIError)
    assert (exc.status_code, exc.code, exc.target, exc.details) == (status, code, target, details)
    assert exc.message == body["error"]["message"]
    assert str(exc).startswith(f"POST /xapi/v1/Users -> {status} ")
    assert "\n" not in str(exc)
    assert len(fake.api_requests) == 1


# --- retries ------------------------------------------------------------------------------------------------


def test_get_503_is_retried_after_retry_after(make_fake: Any, sleeps: list[float]) -> None:
    answers = iter([error(503, None, **{"Retry-After": "0"}), user_json()])
    fake = make_fake(lambda request: next(answers))

    async def main() -> Any:
        return await fake.async_client().users.get_user(1)

    assert run(main).id == 1
    assert fake.paths == [b"/xapi/v1/Users(1)"] * 2
    assert sleeps == [0.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda pbx: pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1234]}),
        lambda pbx: pbx.users.regenerate_passwords(ids=[1, 2]),
        lambda pbx: pbx.users.update_user(1, body={"FirstName": "Ada"}),
    ],
    ids=["POST-RetreivePeersByNumbers", "POST-RegeneratePasswords", "PATCH-Users"],
)
def test_a_change_that_timed_out_is_not_replayed(make_fake: Any, sleeps: list[float], call: Any) -> None:
    fake = make_fake(lambda request: httpx.ReadTimeout("timed out", request=request))

    async def main() -> None:
        await call(fake.async_client())

    with pytest.raises(APITimeoutError, match="not retried"):
        run(main)
    assert len(fake.api_requests) == 1
    assert sleeps == []


def test_a_post_that_could_not_connect_is_replayed(make_fake: Any, sleeps: list[float]) -> None:
    answers = iter([httpx.ConnectError("connection refused"), {"value": [{"Number": "1234"}]}])
    fake = make_fake(lambda request: next(answers))

    async def main() -> Any:
        return await fake.async_client().peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1234]})

    assert [peer.number for peer in run(main).value] == ["1234"]
    first, replay = fake.api_requests
    assert first.content == replay.content == b'{"peersRequest":{"DnNumbers":["1234"]}}'
    assert len(sleeps) == 1


def test_max_retries_zero_via_with_options(make_fake: Any, sleeps: list[float]) -> None:
    fake = make_fake(lambda request: error(503, None, **{"Retry-After": "0"}))

    async def main() -> None:
        pbx = fake.async_client()
        with pytest.raises(InternalServerError):
            await pbx.with_options(max_retries=0).users.get_user(1)
        assert len(fake.api_requests) == 1
        fake.api = lambda request: httpx.ConnectError("connection refused")
        with pytest.raises(APIConnectionError):
            await pbx.with_options(max_retries=0).users.get_user(1)
        assert len(fake.api_requests) == 2

    run(main)
    assert sleeps == []


# --- per-call options ---------------------------------------------------------------------------------------


def test_timeout_headers_and_query_reach_the_request(make_fake: Any) -> None:
    fake = make_fake(user_json)

    async def main() -> None:
        pbx = fake.async_client()
        await pbx.users.get_user(1)
        await pbx.users.get_user(
            1, select=["Id"], timeout=5.0, extra_headers={"X-Request-Id": "r-1"}, extra_query={"foo": "bar"}
        )
        await pbx.with_options(timeout=2.0).users.get_user(1, extra_query={"foo": "a b"})

    run(main)
    default, custom, scoped = fake.api_requests
    assert default.extensions["timeout"] == DEFAULT_TIMEOUT
    assert custom.extensions["timeout"] == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    assert scoped.extensions["timeout"] == {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
    assert custom.headers["X-Request-Id"] == "r-1"
    assert "X-Request-Id" not in default.headers
    assert fake.paths == [b"/xapi/v1/Users(1)", b"/xapi/v1/Users(1)?$select=Id&foo=bar", b"/xapi/v1/Users(1)?foo=a%20b"]


def test_with_options_headers_share_the_token(make_fake: Any) -> None:
    fake = make_fake(user_json)

    async def main() -> None:
        pbx = fake.async_client()
        scoped = pbx.with_options(headers={"X-Tenant": "t1"})
        await scoped.users.get_user(1)
        await pbx.users.get_user(2)

    run(main)
    assert len(fake.token_requests) == 1
    assert [r.headers.get("X-Tenant") for r in fake.api_requests] == ["t1", None]


# --- paging -------------------------------------------------------------------------------------------------


def contacts_with_a_cap(total: int = 250, cap: int = 100) -> Any:
    contacts = [{"Id": n, "FirstName": f"C{n}"} for n in range(1, total + 1)]

    def api(request: httpx.Request) -> Any:
        options = dict(request.url.params.multi_items())
        top = int(options.get("$top", total))
        skip = int(options.get("$skip", 0))
        if top > cap:
            return error(400, {"error": {"code": "", "message": CAP_MESSAGE.format(asked=top)}})
        return {"value": contacts[skip : skip + top]}

    return api


def test_async_for_over_auto_paging_survives_the_top_cap(make_fake: Any) -> None:
    fake = make_fake(contacts_with_a_cap())

    async def main() -> list[Any]:
        page = await fake.async_client().contacts.list_contact(top=500)
        assert isinstance(page, AsyncPage)
        return [contact async for contact in page.auto_paging()]

    contacts = run(main)
    assert [c.id for c in contacts] == list(range(1, 251))
    assert fake.paths == [
        b"/xapi/v1/Contacts?$top=500",
        b"/xapi/v1/Contacts?$top=100&$skip=0",
        b"/xapi/v1/Contacts?$top=100&$skip=100",
        b"/xapi/v1/Contacts?$top=100&$skip=200",
    ]


def test_async_iter_pages(make_fake: Any) -> None:
    fake = make_fake(contacts_with_a_cap())

    async def main() -> list[int]:
        page = await fake.async_client().contacts.list_contact(top=100, skip=0)
        return [len(p.items) async for p in page.iter_pages()]

    assert run(main) == [100, 100, 50]


@pytest.mark.parametrize("kwargs", [{"top": -1}, {"skip": 1.5}, {"top": True}])
def test_bad_top_or_skip_is_refused_before_any_request(make_fake: Any, kwargs: dict[str, Any]) -> None:
    fake = make_fake()

    async def main() -> None:
        await fake.async_client().contacts.list_contact(**kwargs)

    with pytest.raises(ValueError, match=r"\$top|\$skip"):
        run(main)
    assert fake.requests == []


# --- arguments and bodies -----------------------------------------------------------------------------------


def test_an_option_the_operation_does_not_take_is_a_type_error(make_fake: Any) -> None:
    fake = make_fake()
    pbx = fake.async_client()
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        pbx.backups.get_failover_scripts(select=["Id"])
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        pbx.users.get_user(1, extra_body={"X": 1})
    assert fake.requests == []


def test_unknown_body_field_is_refused_and_extra_body_lets_it_through(make_fake: Any) -> None:
    fake = make_fake(lambda request: None)

    async def main() -> None:
        pbx = fake.async_client()
        with pytest.raises(ValueError, match="FirstNmae"):
            await pbx.users.update_user(7, body={"FirstNmae": "Ada"})
        assert fake.requests == []
        await pbx.users.update_user(7, body={"FirstName": "Ada"}, extra_body={"FirstNmae": "x"})

    run(main)
    assert json.loads(fake.last().content) == {"FirstName": "Ada", "FirstNmae": "x"}


@pytest.mark.parametrize("body", [{"FirstName": "Ada"}, User(first_name="Ada")], ids=["dict", "model"])
def test_patch_sends_exactly_the_given_fields(make_fake: Any, body: Any) -> None:
    fake = make_fake(lambda request: None)

    async def main() -> Any:
        return await fake.async_client().users.update_user(7, body=body)

    assert run(main) is None
    request = fake.last()
    assert (request.method, request.url.raw_path) == ("PATCH", b"/xapi/v1/Users(7)")
    assert json.loads(request.content) == {"FirstName": "Ada"}


def test_raw_response_gives_status_headers_and_the_parsed_value(make_fake: Any) -> None:
    fake = make_fake(lambda request: httpx.Response(200, json=user_json(), headers={"X-3CX-Version": "20.0.10.1109"}))

    async def main() -> Any:
        return await fake.async_client().users.with_raw_response.get_user(1)

    raw = run(main)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["X-3CX-Version"] == raw.xapi_version == "20.0.10.1109"
    assert (raw.parsed.id, raw.parsed.first_name) == (1, "Ada")


# --- secrets and lifecycle ----------------------------------------------------------------------------------


def test_no_exception_and_no_repr_shows_the_secret_or_the_token(make_fake: Any) -> None:
    scenarios = [
        lambda request: error(401),
        lambda request: error(400, ALREADY_IN_USE),
        lambda request: error(500),
        lambda request: httpx.ReadTimeout("read timed out", request=request),
        lambda request: httpx.ConnectError("connection refused", request=request),
    ]
    errors: list[BaseException] = []
    tokens: list[str] = []
    pbx = None
    for api in scenarios:
        forget_all()  # each scenario's fake PBX issues its own token
        fake = make_fake(api)
        pbx = fake.async_client(max_retries=0)

        async def main(pbx: Any = pbx) -> None:
            await pbx.users.regenerate_passwords(ids=[1])

        with pytest.raises(XAPIError) as caught:
            run(main)
        errors.append(caught.value)
        tokens += fake.tokens
    assert tokens
    for exc in errors:
        assert SECRET not in str(exc) and SECRET not in repr(exc)
        assert all(token not in str(exc) for token in tokens)
    assert "cid" in repr(pbx)
    assert SECRET not in repr(pbx) and all(token not in repr(pbx) for token in tokens)


def test_async_context_manager_closes_the_client_it_made() -> None:
    async def main() -> httpx.AsyncClient:
        async with AsyncXAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET) as pbx:
            own = pbx._http
            assert not own.is_closed
        return own

    assert run(main).is_closed


def test_a_caller_supplied_http_client_is_not_closed(make_fake: Any) -> None:
    fake = make_fake(user_json)

    async def main() -> None:
        http = fake.ahttp()
        async with AsyncXAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET, http_client=http) as pbx:
            await pbx.users.get_user(1)
        assert not http.is_closed
        await AsyncXAPI(BASE, client_id=CLIENT_ID, client_secret=SECRET, http_client=http).close()
        assert not http.is_closed
        assert (await http.get(BASE + "/xapi/v1/Users(1)")).status_code == 200
        await http.aclose()

    run(main)
