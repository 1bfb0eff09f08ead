"""XAPIAuth against a fake PBX that, like 3CX, keeps one live token per principal."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast
from urllib.parse import parse_qs

import httpx
import pytest

from threecx_xapi._auth import ClientCredentials, TokenProvider, XAPIAuth, token_url_for
from threecx_xapi._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InternalServerError,
    PermissionDeniedError,
    XAPIError,
)
from threecx_xapi._retry import RetryPolicy

BASE = "https://pbx.example.com/xapi/v1"
CLIENT_ID = "sdk-client"
SECRET = "s3cret-Value-never-shown"
N = 20


def make_jwt(**claims: object) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakePBX:
    """Token endpoint and API; a new token revokes the previous one, as on a real PBX."""

    def __init__(
        self,
        *,
        expires_in: object = 60,
        token_delay: float = 0.0,
        api_delay: float = 0.0,
        make_token: Callable[[int], str] | None = None,
    ) -> None:
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.api_delay = api_delay
        self.make_token = make_token or (lambda n: f"tok-{n}")
        self.lock = threading.Lock()
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        self.issued: list[str] = []
        self.valid: str | None = None
        self.stale_barrier: tuple[str, threading.Barrier] | None = None
        self.reject_all = False  # answer 401 to every API request, whatever the token

    def revoke(self) -> None:
        """Another process took a token for the same principal."""
        with self.lock:
            self.valid = None

    def _issue(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            ok = user == "customer-portal" and password == SECRET
        else:
            ok = form.get("client_id") == [CLIENT_ID] and form.get("client_secret") == [SECRET]
        ok = ok and form.get("grant_type") == ["client_credentials"]
        with self.lock:
            self.token_requests.append(request)
            if not ok:
                return httpx.Response(
                    401,
                    json={
                        "error": "unauthorized",
                        "error_description": "The request requires valid user authentication.",
                    },
                )
            token = self.make_token(len(self.issued) + 1)
            self.issued.append(token)
            self.valid = token
        body = {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token, "refresh_token": None}
        return httpx.Response(200, json=body)

    def _api(self, request: httpx.Request) -> httpx.Response:
        # Auth flows mutate and resend the same Request, so keep a copy of what was sent.
        sent = httpx.Request(request.method, request.url, headers=request.headers, content=request.content)
        with self.lock:
            self.api_requests.append(sent)
            authorized = not self.reject_all and request.headers.get("Authorization") == f"Bearer {self.valid}"
        if authorized:
            return httpx.Response(200, json={"value": []})
        return httpx.Response(401)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            time.sleep(self.token_delay)
            return self._issue(request)
        if self.stale_barrier is not None and request.headers.get("Authorization") == self.stale_barrier[0]:
            self.stale_barrier[1].wait(timeout=5)
        time.sleep(self.api_delay)
        return self._api(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            await asyncio.sleep(self.token_delay)
            return self._issue(request)
        await asyncio.sleep(self.api_delay)
        return self._api(request)

    def client(self, auth: XAPIAuth) -> httpx.Client:
        return httpx.Client(base_url=BASE, auth=auth, transport=httpx.MockTransport(self.handler))

    def async_client(self, auth: XAPIAuth) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=BASE, auth=auth, transport=httpx.MockTransport(self.async_handler))

    def auth(self, credentials: ClientCredentials | None = None, **kwargs: Any) -> XAPIAuth:
        return XAPIAuth(
            credentials or ClientCredentials(CLIENT_ID, SECRET),
            token_http=httpx.Client(transport=httpx.MockTransport(self.handler)),
            async_token_http=httpx.AsyncClient(transport=httpx.MockTransport(self.async_handler)),
            **kwargs,
        )


def in_threads(n: int, call: Callable[[], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(n)

    def run() -> httpx.Response:
        barrier.wait(timeout=5)
        return call()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: run(), range(n)))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- single flight ---------------------------------------------------------------------------------------


def test_threads_first_call_makes_one_token_request() -> None:
    pbx = FakePBX(token_delay=0.05)
    with pbx.client(pbx.auth()) as client:
        responses = in_threads(N, lambda: client.get("/Users"))
    assert [r.status_code for r in responses] == [200] * N
    assert len(pbx.token_requests) == 1
    assert len(pbx.api_requests) == N
    assert {r.headers["Authorization"] for r in pbx.api_requests} == {"Bearer tok-1"}


def test_coroutines_first_call_make_one_token_request() -> None:
    pbx = FakePBX(token_delay=0.05)

    async def main() -> list[httpx.Response]:
        async with pbx.async_client(pbx.auth()) as client:
            return await asyncio.gather(*(client.get("/Users") for _ in range(N)))

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * N
    assert len(pbx.token_requests) == 1
    assert len(pbx.api_requests) == N


def test_sync_and_async_flows_share_the_cache() -> None:
    pbx = FakePBX()
    auth = pbx.auth()
    with pbx.client(auth) as client:
        assert client.get("/Users").status_code == 200

    async def main() -> int:
        async with pbx.async_client(auth) as client:
            return (await client.get("/Users")).status_code

    assert asyncio.run(main()) == 200
    assert len(pbx.token_requests) == 1


def test_auth_serves_several_event_loops(clock: FakeClock) -> None:
    """asyncio locks bind to one loop; the auth must make a new one per loop, not fail on the second."""
    pbx = FakePBX(token_delay=0.02)
    auth = pbx.auth(clock=clock)

    async def main() -> list[int]:
        async with pbx.async_client(auth) as client:
            return [r.status_code for r in await asyncio.gather(*(client.get("/Users") for _ in range(5)))]

    assert asyncio.run(main()) == [200] * 5
    clock.now += 31
    assert asyncio.run(main()) == [200] * 5
    assert len(pbx.token_requests) == 2


def test_sync_thread_and_coroutine_share_one_token_request() -> None:
    pbx = FakePBX(token_delay=0.05)
    auth = pbx.auth()
    barrier = threading.Barrier(2)

    def sync_call() -> int:
        with pbx.client(auth) as client:
            barrier.wait(timeout=5)
            return client.get("/Users").status_code

    async def async_call() -> int:
        async with pbx.async_client(auth) as client:
            barrier.wait(timeout=5)
            return (await client.get("/Users")).status_code

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(sync_call)
        assert asyncio.run(async_call()) == 200
        assert future.result(timeout=5) == 200
    assert len(pbx.token_requests) == 1


# -- expiry ----------------------------------------------------------------------------------------------


def test_refresh_when_clock_passes_expiry_minus_margin_threads(clock: FakeClock) -> None:
    pbx = FakePBX(expires_in=60, token_delay=0.05)
    with pbx.client(pbx.auth(clock=clock, refresh_margin=30)) as client:
        client.get("/Users")
        clock.now += 29.9
        client.get("/Users")
        assert len(pbx.token_requests) == 1
        clock.now += 0.2
        responses = in_threads(N, lambda: client.get("/Users"))
    assert [r.status_code for r in responses] == [200] * N
    assert len(pbx.token_requests) == 2
    assert pbx.api_requests[-1].headers["Authorization"] == "Bearer tok-2"


def test_refresh_when_clock_passes_expiry_minus_margin_coroutines(clock: FakeClock) -> None:
    pbx = FakePBX(expires_in=60, token_delay=0.05)

    async def main() -> list[httpx.Response]:
        async with pbx.async_client(pbx.auth(clock=clock, refresh_margin=10)) as client:
            await client.get("/Users")
            clock.now += 49
            await client.get("/Users")
            assert len(pbx.token_requests) == 1
            clock.now += 2
            return await asyncio.gather(*(client.get("/Users") for _ in range(N)))

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * N
    assert len(pbx.token_requests) == 2


def test_margin_longer_than_lifetime_refreshes_at_half(clock: FakeClock) -> None:
    pbx = FakePBX(expires_in=20)
    with pbx.client(pbx.auth(clock=clock, refresh_margin=30)) as client:
        client.get("/Users")
        clock.now += 9.5
        client.get("/Users")
        assert len(pbx.token_requests) == 1
        clock.now += 1
        client.get("/Users")
    assert len(pbx.token_requests) == 2


def test_jwt_exp_beats_a_wrong_expires_in(clock: FakeClock) -> None:
    now = time.time()
    pbx = FakePBX(expires_in=60, make_token=lambda n: make_jwt(sub=CLIENT_ID, n=n, iat=int(now), exp=int(now) + 3600))
    with pbx.client(pbx.auth(clock=clock, refresh_margin=30)) as client:
        client.get("/Users")
        clock.now += 3500  # long past expires_in, well inside the JWT's lifetime
        client.get("/Users")
        assert len(pbx.token_requests) == 1
        clock.now += 80  # now within 30 s of exp
        client.get("/Users")
    assert len(pbx.token_requests) == 2


def test_jwt_exp_beats_expires_in_read_as_minutes(clock: FakeClock) -> None:
    """Before 3CX 20.0.9 expires_in counted minutes; a 60 s JWT must not be kept for an hour."""
    pbx = FakePBX(expires_in=3600, make_token=lambda n: make_jwt(n=n, exp=int(time.time()) + 60))
    with pbx.client(pbx.auth(clock=clock, refresh_margin=30)) as client:
        client.get("/Users")
        clock.now += 35
        client.get("/Users")
    assert len(pbx.token_requests) == 2


def test_jwt_lifetime_ignores_clock_skew(clock: FakeClock) -> None:
    """A PBX clock an hour ahead would make exp - now an hour too long; exp - iat is not fooled."""
    ahead = time.time() + 3600
    pbx = FakePBX(expires_in=None, make_token=lambda n: make_jwt(n=n, iat=int(ahead), exp=int(ahead) + 60))
    with pbx.client(pbx.auth(clock=clock, refresh_margin=30)) as client:
        client.get("/Users")
        clock.now += 31
        client.get("/Users")
    assert len(pbx.token_requests) == 2


@pytest.mark.parametrize("token", ["not.a.jwt", "a.!!!.c", make_jwt(exp="soon"), "plain-opaque-token"])
def test_tokens_that_are_not_usable_jwts_fall_back_to_expires_in(clock: FakeClock, token: str) -> None:
    pbx = FakePBX(expires_in="40", make_token=lambda n: f"{token}{n}")
    with pbx.client(pbx.auth(clock=clock, refresh_margin=30)) as client:
        client.get("/Users")
        clock.now += 9
        client.get("/Users")
        assert len(pbx.token_requests) == 1
        clock.now += 2
        client.get("/Users")
    assert len(pbx.token_requests) == 2


# -- 401 handling ----------------------------------------------------------------------------------------


def test_401_once_then_success_replays_with_the_new_token() -> None:
    pbx = FakePBX()
    with pbx.client(pbx.auth()) as client:
        client.get("/Users")
        pbx.revoke()
        response = client.post("/Users", json={"Number": "100"})
    assert response.status_code == 200
    assert len(pbx.token_requests) == 2
    first, replay = pbx.api_requests[-2:]
    assert first.headers["Authorization"] == "Bearer tok-1"
    assert replay.headers["Authorization"] == "Bearer tok-2"
    assert replay.content == first.content == b'{"Number":"100"}'


def test_401_once_then_success_async() -> None:
    pbx = FakePBX()

    async def main() -> httpx.Response:
        async with pbx.async_client(pbx.auth()) as client:
            await client.get("/Users")
            pbx.revoke()
            return await client.get("/Users")

    assert asyncio.run(main()).status_code == 200
    assert len(pbx.token_requests) == 2
    assert pbx.api_requests[-1].headers["Authorization"] == "Bearer tok-2"


def test_401_twice_raises_naming_the_client_id_not_the_secret() -> None:
    pbx = FakePBX()
    pbx.reject_all = True
    with pbx.client(pbx.auth()) as client, pytest.raises(AuthenticationError) as info:
        client.get("/Users")
    assert len(pbx.token_requests) == 2
    assert len(pbx.api_requests) == 2
    message = str(info.value)
    assert CLIENT_ID in message
    assert "GET /xapi/v1/Users" in message
    assert SECRET not in message and SECRET not in repr(info.value)
    assert "tok-" not in message


def test_401_twice_async_raises() -> None:
    pbx = FakePBX()
    pbx.reject_all = True

    async def main() -> None:
        async with pbx.async_client(pbx.auth()) as client:
            await client.get("/Users")

    with pytest.raises(AuthenticationError, match=CLIENT_ID):
        asyncio.run(main())
    assert len(pbx.token_requests) == 2
    assert len(pbx.api_requests) == 2


def test_concurrent_401s_cause_a_single_refresh() -> None:
    pbx = FakePBX(token_delay=0.05)
    with pbx.client(pbx.auth()) as client:
        client.get("/Users")
        pbx.revoke()
        pbx.stale_barrier = ("Bearer tok-1", threading.Barrier(N))  # all N stale requests get their 401 together
        responses = in_threads(N, lambda: client.get("/Users"))
    assert [r.status_code for r in responses] == [200] * N
    assert len(pbx.token_requests) == 2
    assert len(pbx.api_requests) == 1 + 2 * N
    assert [r.headers["Authorization"] for r in pbx.api_requests[-N:]] == ["Bearer tok-2"] * N


def test_concurrent_401s_cause_a_single_refresh_async() -> None:
    pbx = FakePBX(token_delay=0.02, api_delay=0.02)

    async def main() -> list[httpx.Response]:
        async with pbx.async_client(pbx.auth()) as client:
            await client.get("/Users")
            pbx.revoke()
            return await asyncio.gather(*(client.get("/Users") for _ in range(N)))

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * N
    assert len(pbx.token_requests) == 2
    assert len(pbx.api_requests) == 1 + 2 * N


# -- the token endpoint ----------------------------------------------------------------------------------


def test_token_request_form_and_default_url() -> None:
    pbx = FakePBX()
    with pbx.client(pbx.auth()) as client:
        client.get("/Users")
    (request,) = pbx.token_requests
    assert str(request.url) == "https://pbx.example.com/connect/token"
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert parse_qs(request.content.decode()) == {
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
        "grant_type": ["client_credentials"],
    }


def test_explicit_token_url_is_used() -> None:
    pbx = FakePBX()
    with pbx.client(pbx.auth(token_url="https://pbx.example.com:5001/connect/token")) as client:
        client.get("/Users")
    assert str(pbx.token_requests[0].url) == "https://pbx.example.com:5001/connect/token"


def test_token_url_for() -> None:
    assert token_url_for("https://pbx.example.com/xapi/v1") == "https://pbx.example.com/connect/token"
    assert token_url_for("https://pbx.example.com:5001/xapi/v1/Users") == "https://pbx.example.com:5001/connect/token"
    assert token_url_for(httpx.URL("http://10.0.0.5:5000/xapi/v1")) == "http://10.0.0.5:5000/connect/token"


def test_basic_variant_sends_basic_auth_and_no_secret_in_body() -> None:
    pbx = FakePBX()
    credentials = ClientCredentials.customer_portal(SECRET)
    assert credentials == ClientCredentials("customer-portal", SECRET, basic=True)
    with pbx.client(pbx.auth(credentials)) as client:
        assert client.get("/Users").status_code == 200
    (request,) = pbx.token_requests
    expected = base64.b64encode(f"customer-portal:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.content == b"client_id=customer-portal&grant_type=client_credentials"


def test_token_endpoint_401_surfaces_error_description() -> None:
    pbx = FakePBX()
    auth = pbx.auth(ClientCredentials(CLIENT_ID, "wrong-" + SECRET))
    with pbx.client(auth) as client, pytest.raises(AuthenticationError) as info:
        client.get("/Users")
    error = info.value
    assert error.status_code == 401
    assert error.code == "unauthorized"
    assert error.message == "The request requires valid user authentication."
    assert "The request requires valid user authentication." in str(error)
    assert "unauthorized" in str(error)
    assert CLIENT_ID in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert pbx.api_requests == []


def test_async_token_endpoint_401() -> None:
    pbx = FakePBX()

    async def main() -> None:
        async with pbx.async_client(pbx.auth(ClientCredentials(CLIENT_ID, "nope"))) as client:
            await client.get("/Users")

    with pytest.raises(AuthenticationError, match="valid user authentication"):
        asyncio.run(main())


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(400, json={"error": "invalid_client", "error_description": "The client is unknown."}),
            AuthenticationError,
        ),
        (httpx.Response(200, text="<html><title>3CX Web Client</title></html>"), APIStatusError),
        (httpx.Response(200, json={"token_type": "Bearer"}), APIStatusError),
        (httpx.Response(500, text=""), InternalServerError),
        (httpx.Response(403, text=""), PermissionDeniedError),
    ],
)
def test_unusable_token_answers_raise_by_status_family(
    response: httpx.Response, expected: type[APIStatusError]
) -> None:
    auth = XAPIAuth(
        ClientCredentials(CLIENT_ID, SECRET),
        token_http=httpx.Client(transport=httpx.MockTransport(lambda request: response)),
        retry=RetryPolicy(max_retries=0),
    )
    api = httpx.MockTransport(lambda r: httpx.Response(200))
    with httpx.Client(auth=auth, transport=api) as client, pytest.raises(APIStatusError) as info:
        client.get(f"{BASE}/Users")
    assert type(info.value) is expected
    assert info.value.status_code == response.status_code
    assert CLIENT_ID in str(info.value)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [(httpx.ConnectError("refused"), APIConnectionError), (httpx.ConnectTimeout("slow"), APITimeoutError)],
)
def test_token_endpoint_transport_errors(raised: httpx.TransportError, expected: type[Exception]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise raised

    auth = XAPIAuth(
        ClientCredentials(CLIENT_ID, SECRET),
        token_http=httpx.Client(transport=httpx.MockTransport(fail)),
        retry=RetryPolicy(max_retries=0),
    )
    api = httpx.MockTransport(lambda r: httpx.Response(200))
    with httpx.Client(auth=auth, transport=api) as client, pytest.raises(expected) as info:
        client.get(f"{BASE}/Users")
    assert "POST /connect/token" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.TransportError)
    assert SECRET not in str(info.value)


# -- static token and provider ---------------------------------------------------------------------------


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError("no token request expected")


def test_static_token_is_sent_and_a_401_is_final() -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200 if len(seen) == 1 else 401)

    auth = XAPIAuth(token="static-tok", token_http=httpx.Client(transport=httpx.MockTransport(refuse)))
    with httpx.Client(base_url=BASE, auth=auth, transport=httpx.MockTransport(api)) as client:
        assert client.get("/Users").status_code == 200
        with pytest.raises(AuthenticationError) as info:
            client.get("/Users")
    assert len(seen) == 2
    assert [r.headers["Authorization"] for r in seen] == ["Bearer static-tok"] * 2
    assert "static-tok" not in str(info.value)
    assert repr(auth) == "XAPIAuth(token=***)"


def test_static_token_async() -> None:
    auth = XAPIAuth(token="static-tok")

    async def main() -> list[int]:
        transport = httpx.MockTransport(lambda r: httpx.Response(200 if r.headers["Authorization"] else 500))
        async with httpx.AsyncClient(base_url=BASE, auth=auth, transport=transport) as client:
            ok = await client.get("/Users")
        async with httpx.AsyncClient(
            base_url=BASE, auth=auth, transport=httpx.MockTransport(lambda r: httpx.Response(401))
        ) as client:
            with pytest.raises(AuthenticationError):
                await client.get("/Users")
        return [ok.status_code]

    assert asyncio.run(main()) == [200]


def test_provider_is_called_per_refresh_and_on_401(clock: FakeClock) -> None:
    calls: list[str] = []
    state = {"valid": ""}

    def provider() -> str:
        token = make_jwt(n=len(calls), exp=int(time.time()) + 120)
        calls.append(token)
        state["valid"] = token
        return token

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if request.headers["Authorization"] == f"Bearer {state['valid']}" else 401)

    auth = XAPIAuth(token_provider=provider, clock=clock)
    with httpx.Client(base_url=BASE, auth=auth, transport=httpx.MockTransport(api)) as client:
        assert [client.get("/Users").status_code for _ in range(5)] == [200] * 5
        assert len(calls) == 1
        clock.now += 95
        assert client.get("/Users").status_code == 200
        assert len(calls) == 2
        state["valid"] = "revoked"
        assert client.get("/Users").status_code == 200
        assert len(calls) == 3


def test_provider_single_flight_threads() -> None:
    calls: list[int] = []

    def provider() -> str:
        time.sleep(0.05)
        calls.append(1)
        return "provided"

    auth = XAPIAuth(token_provider=provider)
    with httpx.Client(base_url=BASE, auth=auth, transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        responses = in_threads(N, lambda: client.get("/Users"))
    assert [r.status_code for r in responses] == [200] * N
    assert calls == [1]


def test_provider_returning_the_rejected_token_again_raises_without_replay() -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401)

    auth = XAPIAuth(token_provider=lambda: "same")
    with (
        httpx.Client(base_url=BASE, auth=auth, transport=httpx.MockTransport(api)) as client,
        pytest.raises(AuthenticationError),
    ):
        client.get("/Users")
    assert len(seen) == 1


def test_async_provider_single_flight_coroutines() -> None:
    calls: list[int] = []

    async def provider() -> str:
        await asyncio.sleep(0.05)
        calls.append(1)
        return "provided"

    async def main() -> list[httpx.Response]:
        transport = httpx.MockTransport(lambda r: httpx.Response(200))
        async with httpx.AsyncClient(base_url=BASE, auth=XAPIAuth(token_provider=provider), transport=transport) as c:
            return await asyncio.gather(*(c.get("/Users") for _ in range(N)))

    assert [r.status_code for r in asyncio.run(main())] == [200] * N
    assert calls == [1]


def test_async_provider_with_sync_client_is_a_type_error() -> None:
    async def provider() -> str:
        return "x"

    with httpx.Client(base_url=BASE, auth=XAPIAuth(token_provider=provider)) as client, pytest.raises(TypeError):
        client.get("/Users")


def test_provider_returning_a_non_string_is_an_error() -> None:
    auth = XAPIAuth(token_provider=cast(TokenProvider, lambda: None))
    with (
        httpx.Client(base_url=BASE, auth=auth, transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(XAPIError, match="NoneType"),
    ):
        client.get("/Users")


# -- construction and secrecy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"credentials": ClientCredentials(CLIENT_ID, SECRET), "token": "t"},
        {"token": "t", "token_provider": lambda: "t"},
        {"token": ""},
        {"token": "t", "refresh_margin": -1},
        {"token": "t", "refresh_margin": float("nan")},
    ],
)
def test_invalid_construction(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        XAPIAuth(**kwargs)


@pytest.mark.parametrize(("client_id", "secret"), [("", SECRET), (CLIENT_ID, "")])
def test_credentials_must_be_non_empty(client_id: str, secret: str) -> None:
    with pytest.raises(ValueError):
        ClientCredentials(client_id, secret)


def test_secret_absent_from_reprs() -> None:
    credentials = ClientCredentials(CLIENT_ID, SECRET)
    assert repr(credentials) == f"ClientCredentials(client_id='{CLIENT_ID}', client_secret=***)"
    assert str(credentials) == repr(credentials)
    assert SECRET not in repr(ClientCredentials.customer_portal(SECRET))
    auth = XAPIAuth(credentials, token_url="https://pbx.example.com/connect/token")
    assert SECRET not in repr(auth) and SECRET not in str(auth)
    assert CLIENT_ID in repr(auth)
    assert auth.client_id == CLIENT_ID
    assert "static" not in repr(XAPIAuth(token="static"))


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


def test_logs_never_contain_secret_or_tokens(debug_logs: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    pbx = FakePBX(make_token=lambda n: make_jwt(n=n, exp=int(time.time()) + 60))
    with pbx.client(pbx.auth(clock=clock)) as client:
        client.get("/Users")
        pbx.revoke()
        client.get("/Users")
        clock.now += 45
        client.get("/Users")
    with pbx.client(pbx.auth(ClientCredentials(CLIENT_ID, "wrong"))) as client, pytest.raises(AuthenticationError):
        client.get("/Users")
    assert len(pbx.issued) == 3
    text = debug_logs.text
    assert f"token acquired for client id {CLIENT_ID}, expires in" in text
    assert "401 for GET /xapi/v1/Users" in text
    assert SECRET not in text
    for token in pbx.issued:
        assert token not in text
        assert token.split(".")[1] not in text


def test_close_releases_only_owned_clients() -> None:
    given = httpx.Client(transport=httpx.MockTransport(FakePBX().handler))
    auth = XAPIAuth(ClientCredentials(CLIENT_ID, SECRET), token_http=given)
    auth.close()
    assert not given.is_closed
    own = XAPIAuth(ClientCredentials(CLIENT_ID, SECRET))
    http = own._default_http()
    own.close()
    assert http.is_closed

    async def main() -> bool:
        async_http = own._async_http()
        await own.aclose()
        return bool(async_http.is_closed)

    assert asyncio.run(main())


# -- one cache per principal in the process -----------------------------------------------------------------


def test_separate_auth_objects_for_one_principal_share_one_token() -> None:
    pbx = FakePBX()
    first, second = pbx.auth(), pbx.auth()
    with pbx.client(first) as a, pbx.client(second) as b:
        for _ in range(3):
            assert a.get("/Users").status_code == 200
            assert b.get("/Users").status_code == 200
    assert pbx.issued == ["tok-1"]


def test_another_secret_gets_its_own_cache() -> None:
    pbx = FakePBX()
    with pbx.client(pbx.auth()) as good:
        assert good.get("/Users").status_code == 200
    with pbx.client(pbx.auth(ClientCredentials(CLIENT_ID, "wrong"))) as bad, pytest.raises(AuthenticationError):
        bad.get("/Users")
    assert len(pbx.token_requests) == 2


def test_async_waiters_fail_together_with_the_one_attempt() -> None:
    calls = []

    async def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        await asyncio.sleep(0.1)
        return httpx.Response(401, json={"error": "invalid_client"})

    auth = XAPIAuth(
        ClientCredentials(CLIENT_ID, SECRET), async_token_http=httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    )

    async def main() -> list[BaseException | httpx.Response]:
        transport = httpx.MockTransport(lambda r: httpx.Response(200))
        async with httpx.AsyncClient(base_url=BASE, auth=auth, transport=transport) as client:
            return await asyncio.gather(*(client.get("/Users") for _ in range(N)), return_exceptions=True)

    outcomes = asyncio.run(main())
    assert len(calls) == 1
    assert all(isinstance(o, AuthenticationError) for o in outcomes)
    assert len({id(o) for o in outcomes}) == N  # each waiter raises its own copy


def test_a_sync_call_inside_the_loop_that_leads_the_fetch_does_not_deadlock() -> None:
    pbx = FakePBX(token_delay=0.2)
    auth = pbx.auth()

    async def main() -> int:
        async with pbx.async_client(auth) as client:
            pending = asyncio.ensure_future(client.get("/Users"))
            await asyncio.sleep(0.05)  # the coroutine now leads the token fetch on this thread
            with pbx.client(auth) as sync_client:
                status = sync_client.get("/Users").status_code  # blocks the loop: must not wait for it
            await pending
            return status

    started = time.monotonic()
    assert asyncio.run(main()) == 200
    assert time.monotonic() - started < 5
