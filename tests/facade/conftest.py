"""A fake PBX behind ``httpx.MockTransport`` for the wire tests of ``XAPI`` and ``AsyncXAPI``.

``FakePBX`` answers ``POST /connect/token`` with a fresh unsigned JWT each time (so a refresh is visible) and
hands every other request to ``api``; it records all of them. Retry waits are recorded, never slept.
Test modules get the class from the ``make_fake`` fixture (tests/facade is not a package, so nothing here is
importable by name).
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from threecx_xapi import XAPI, AsyncXAPI
from threecx_xapi import _client as client_module
from threecx_xapi import _retry as retry_module
from threecx_xapi._token_cache import forget_all

BASE = "https://pbx.example.com:5001"
CLIENT_ID = "cid"
SECRET = "s3cr3t"
TOKEN_PATH = b"/connect/token"

Answer = httpx.Response | dict[str, Any] | list[Any] | BaseException | None
Api = Callable[[httpx.Request], Answer]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT (header.payload.sig): the client only reads ``exp``/``iat``."""
    header = b64url(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.{b64url(b'not-a-signature')}"


class FakePBX:
    """Records every request; issues token ``n`` as a JWT with claim ``n``; ``api`` answers the rest.

    ``api`` returns an ``httpx.Response``, a JSON value (200), None (204) or an exception to raise.
    """

    def __init__(self, api: Api | None = None, *, token_delay: float = 0.0, token_status: int = 200) -> None:
        self.api: Api = api or (lambda request: {"value": []})
        self.token_delay = token_delay
        self.token_status = token_status
        self.token_errors: list[BaseException] = []  # raised, one per token request, before tokens are issued
        self.requests: list[httpx.Request] = []
        self.tokens: list[str] = []
        self._lock = threading.Lock()

    @staticmethod
    def bearer(request: httpx.Request) -> str | None:
        """The token a request carried."""
        value = request.headers.get("Authorization")
        return value.removeprefix("Bearer ") if value else None

    @staticmethod
    def query(request: httpx.Request) -> dict[str, str]:
        """The decoded query options of a request."""
        return dict(request.url.params.multi_items())

    # -- what was sent ---------------------------------------------------------------------------------------

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.raw_path.endswith(TOKEN_PATH)]

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if not r.url.raw_path.endswith(TOKEN_PATH)]

    @property
    def paths(self) -> list[bytes]:
        return [r.url.raw_path for r in self.api_requests]

    def last(self) -> httpx.Request:
        return self.api_requests[-1]

    # -- answering -------------------------------------------------------------------------------------------

    def _record(self, request: httpx.Request) -> None:
        # A copy: the client replays the same Request object with a new Authorization after a 401.
        snapshot = httpx.Request(
            request.method,
            request.url,
            headers=request.headers.copy(),
            content=request.content,
            extensions=dict(request.extensions),
        )
        with self._lock:
            self.requests.append(snapshot)

    def _token(self) -> httpx.Response:
        if self.token_errors:
            raise self.token_errors.pop(0)
        if self.token_status != 200:
            return httpx.Response(
                self.token_status,
                json={"error": "unauthorized", "error_description": "The request requires valid user authentication."},
            )
        with self._lock:
            now = int(time.time())
            token = make_jwt({"sub": CLIENT_ID, "n": len(self.tokens) + 1, "iat": now, "exp": now + 3600})
            self.tokens.append(token)
        return httpx.Response(
            200, json={"token_type": "Bearer", "expires_in": 60, "access_token": token, "refresh_token": None}
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        answer = self.api(request)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(204) if answer is None else httpx.Response(200, json=answer)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self._record(request)
        if request.url.raw_path.endswith(TOKEN_PATH):
            if self.token_delay:
                time.sleep(self.token_delay)
            return self._token()
        return self._answer(request)

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        self._record(request)
        if request.url.raw_path.endswith(TOKEN_PATH):
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            return self._token()
        await asyncio.sleep(0)
        return self._answer(request)

    # -- clients ---------------------------------------------------------------------------------------------

    def http(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def ahttp(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.ahandle))

    def client(self, base_url: str | None = BASE, **kwargs: Any) -> XAPI:
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("client_secret", SECRET)
        return XAPI(base_url, http_client=self.http(), **kwargs)

    def async_client(self, base_url: str | None = BASE, **kwargs: Any) -> AsyncXAPI:
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("client_secret", SECRET)
        return AsyncXAPI(base_url, http_client=self.ahttp(), **kwargs)


@pytest.fixture
def make_fake() -> type[FakePBX]:
    """``make_fake(api, token_delay=..., token_status=...)`` builds a FakePBX."""
    return FakePBX


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Retry waits, recorded instead of slept (the client passes no ``sleep`` of its own to the retry loop)."""
    waits: list[float] = []

    def send_with_retries(*args: Any, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("sleep", waits.append)
        return retry_module.send_with_retries(*args, **kwargs)

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def asend_with_retries(*args: Any, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("sleep", fake_sleep)
        return await retry_module.asend_with_retries(*args, **kwargs)

    monkeypatch.setattr(client_module, "send_with_retries", send_with_retries)
    monkeypatch.setattr(client_module, "asend_with_retries", asend_with_retries)
    yield waits


@pytest.fixture(autouse=True)
def _fresh_token_caches() -> Iterator[None]:
    """Each test starts without tokens other tests' clients left in the process-wide cache."""
    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests say what the environment holds; a developer's THREECX_XAPI_* must not leak in."""
    for name in ("THREECX_XAPI_URL", "THREECX_XAPI_CLIENT_ID", "THREECX_XAPI_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
