"""Bearer-token authentication for the XAPI, as an ``httpx.Auth``.

3CX keeps one live token per principal: fetching a new token revokes the previous one. So token requests
here are single-flight (one per expiry, however many threads and coroutines ask at once), a 401 drops the
cached token only if it is the one that failed, and the sync and async flows share one cache.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import inspect
import json
import logging
import math
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import httpx

if TYPE_CHECKING:  # asyncio costs ~60 ms to import; sync-only programs never need it
    import asyncio

from ._exceptions import (
    AuthenticationError,
    XAPIError,
    _token_error_from_response,
    status_error_from_response,
)
from ._retry import RetryPolicy, asend_with_retries, send_with_retries

__all__ = ["AsyncTokenProvider", "ClientCredentials", "TokenProvider", "XAPIAuth", "token_url_for"]

logger = logging.getLogger("threecx_xapi")

TokenProvider: TypeAlias = Callable[[], str]
"""Returns a bearer token; called once per refresh, under the single-flight lock."""

AsyncTokenProvider: TypeAlias = Callable[[], Awaitable[str]]
"""Like ``TokenProvider`` but awaited; usable with ``httpx.AsyncClient`` only."""

CUSTOMER_PORTAL = "customer-portal"
_DEFAULT_TOKEN_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_POLL_INTERVAL = 0.005


@dataclass(frozen=True, repr=False)
class ClientCredentials:
    """An XAPI client id and secret, from the 3CX admin console (Integrations > API).

    ``basic=True`` selects the multi-company variant: HTTP Basic on the token endpoint, where the
    client id is ``customer-portal`` (see :meth:`customer_portal`).
    """

    client_id: str
    client_secret: str
    basic: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.client_id, str) or not self.client_id:
            raise ValueError("client_id must be a non-empty string")
        if not isinstance(self.client_secret, str) or not self.client_secret:
            raise ValueError("client_secret must be a non-empty string")

    @classmethod
    def customer_portal(cls, secret: str) -> ClientCredentials:
        """Credentials for the multi-company variant: user ``customer-portal``, HTTP Basic."""
        return cls(CUSTOMER_PORTAL, secret, basic=True)

    def __repr__(self) -> str:
        basic = ", basic=True" if self.basic else ""
        return f"{type(self).__name__}(client_id={self.client_id!r}, client_secret=***{basic})"


def token_url_for(url: httpx.URL | str) -> str:
    """The token endpoint of the PBX serving ``url``: ``/connect/token`` at the host root, not under /xapi/v1."""
    url = httpx.URL(url)
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}/connect/token"


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    refresh_at: float  # on the injected (monotonic) clock; inf: never
    lifetime: float | None  # seconds, None when unknown


def _asyncio() -> Any:
    import asyncio

    return asyncio


@dataclass
class _LoopState:
    """What cannot cross event loops: an asyncio.Lock binds to its loop, and so do pooled connections."""

    lock: asyncio.Lock = field(default_factory=lambda: _asyncio().Lock())
    http: httpx.AsyncClient | None = None


class XAPIAuth(httpx.Auth):
    """Adds ``Authorization: Bearer ...`` to XAPI requests, obtaining and refreshing the token as needed.

    Pass exactly one of ``credentials`` (client-credentials grant against ``token_url``, by default
    ``/connect/token`` on the requested host), ``token`` (static: never refreshed, a 401 is final) or
    ``token_provider`` (called for each refresh; may be async with ``httpx.AsyncClient``).

    The token is reused until ``refresh_margin`` seconds before it expires (half its lifetime when the margin
    is longer). A 401 triggers one refresh and one replay of the request. Token requests go through
    ``token_http`` / ``async_token_http`` when given (e.g. to share TLS settings); otherwise through clients
    created on first use, released by :meth:`close` / :meth:`aclose`. The async flow needs asyncio.
    """

    requires_request_body = True  # a 401 replays the request, so a streamed body must be buffered first

    def __init__(
        self,
        credentials: ClientCredentials | None = None,
        *,
        token: str | None = None,
        token_provider: TokenProvider | AsyncTokenProvider | None = None,
        token_url: str | None = None,
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        token_http: httpx.Client | None = None,
        async_token_http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if sum(source is not None for source in (credentials, token, token_provider)) != 1:
            raise ValueError("pass exactly one of credentials, token or token_provider")
        if token is not None and not token:
            raise ValueError("token must be a non-empty string")
        if not (refresh_margin >= 0 and math.isfinite(refresh_margin)):
            raise ValueError("refresh_margin must be a finite number of seconds >= 0")
        self._credentials = credentials
        self._static = token is not None
        self._provider = token_provider
        self._token_url = token_url
        self._refresh_margin = float(refresh_margin)
        self._clock = clock
        self._token_http = token_http
        self._async_token_http = async_token_http
        self._retry = retry or RetryPolicy()
        self._own_http: httpx.Client | None = None
        # Reentrant so a sync call made (unwisely) from inside the event loop that holds it cannot deadlock.
        self._lock = threading.RLock()
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()
        self._loops_guard = threading.Lock()
        self._token: _Token | None = _Token(token, math.inf, None) if token is not None else None

    @property
    def client_id(self) -> str | None:
        return self._credentials.client_id if self._credentials is not None else None

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a message: the client secret and the current token, for scrubbing."""
        found = []
        if self._credentials is not None:
            found.append(self._credentials.client_secret)
        token = self._token
        if token is not None:
            found.append(token.value)
        return tuple(found)

    def __repr__(self) -> str:
        if self._credentials is not None:
            return f"{type(self).__name__}(client_id={self._credentials.client_id!r}, token_url={self._token_url!r})"
        if self._static:
            return f"{type(self).__name__}(token=***)"
        return f"{type(self).__name__}(token_provider={self._provider!r})"

    # -- the flows ---------------------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._static:
            response = yield self._authorize(request, self._cached_value())
            if response.status_code == 401:
                response.read()
                raise self._rejected(response)
            return
        request.read()
        token = self._sync_token(request)
        response = yield self._authorize(request, token)
        if response.status_code != 401:
            return
        response.read()
        self._log_401(request)
        fresh = self._sync_token(request, failed=token)
        if fresh == token:
            raise self._rejected(response)
        response = yield self._authorize(request, fresh)
        if response.status_code == 401:
            response.read()
            raise self._rejected(response)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._static:
            response = yield self._authorize(request, self._cached_value())
            if response.status_code == 401:
                await response.aread()
                raise self._rejected(response)
            return
        await request.aread()
        token = await self._async_token(request)
        response = yield self._authorize(request, token)
        if response.status_code != 401:
            return
        await response.aread()
        self._log_401(request)
        fresh = await self._async_token(request, failed=token)
        if fresh == token:
            raise self._rejected(response)
        response = yield self._authorize(request, fresh)
        if response.status_code == 401:
            await response.aread()
            raise self._rejected(response)

    # -- the cache ---------------------------------------------------------------------------------------

    def _fresh(self) -> str | None:
        token = self._token  # one attribute read: atomic, so the fast path needs no lock
        if token is not None and self._clock() < token.refresh_at:
            return token.value
        return None

    def _cached_value(self) -> str:
        token = self._token
        assert token is not None
        return token.value

    def _forget(self, failed: str | None) -> None:
        """Drop the cached token, but only if it is the one that failed: another flow may have replaced it."""
        if failed is not None and self._token is not None and self._token.value == failed:
            self._token = None

    def _sync_token(self, request: httpx.Request, failed: str | None = None) -> str:
        if failed is None and (value := self._fresh()) is not None:
            return value
        with self._lock:
            self._forget(failed)
            if (value := self._fresh()) is not None:
                return value
            self._token = self._sync_fetch(request)
            return self._token.value

    async def _async_token(self, request: httpx.Request, failed: str | None = None) -> str:
        if failed is None and (value := self._fresh()) is not None:
            return value
        async with self._loop_state().lock, self._hold_thread_lock():
            self._forget(failed)
            if (value := self._fresh()) is not None:
                return value
            self._token = await self._async_fetch(request)
            return self._token.value

    @contextlib.asynccontextmanager
    async def _hold_thread_lock(self) -> AsyncIterator[None]:
        """Take the thread lock without blocking the event loop, so sync flows and other loops wait for us."""
        while not self._lock.acquire(blocking=False):
            await _asyncio().sleep(_POLL_INTERVAL)
        try:
            yield
        finally:
            self._lock.release()

    def _loop_state(self) -> _LoopState:
        loop = _asyncio().get_running_loop()
        with self._loops_guard:
            state = self._loops.get(loop)
            if state is None:
                state = self._loops[loop] = _LoopState()
            return state

    # -- obtaining tokens --------------------------------------------------------------------------------

    def _sync_fetch(self, request: httpx.Request) -> _Token:
        started = self._clock()
        if self._provider is not None:
            value = self._provider()
            if inspect.isawaitable(value):
                if inspect.iscoroutine(value):
                    value.close()
                raise TypeError(
                    "an async token_provider needs httpx.AsyncClient; use a plain callable with httpx.Client"
                )
            return self._accept(value, None, started)
        url, data, auth = self._token_request(request)
        http = self._token_http or self._default_http()
        post = http.build_request("POST", url, data=data, headers={"Accept": "application/json"})
        # a POST: retried only when it provably never reached the PBX (connection refused, connect timeout)
        response = send_with_retries(lambda: http.send(post, auth=auth), method="POST", policy=self._retry)
        return self._accept_response(url, response, started)

    async def _async_fetch(self, request: httpx.Request) -> _Token:
        started = self._clock()
        if self._provider is not None:
            value = self._provider()
            if inspect.isawaitable(value):
                value = await value
            return self._accept(value, None, started)
        url, data, auth = self._token_request(request)
        http = self._async_token_http or self._default_async_http()
        post = http.build_request("POST", url, data=data, headers={"Accept": "application/json"})
        response = await asend_with_retries(lambda: http.send(post, auth=auth), method="POST", policy=self._retry)
        return self._accept_response(url, response, started)

    def _token_request(self, request: httpx.Request) -> tuple[str, dict[str, str], httpx.Auth]:
        credentials = self._credentials
        assert credentials is not None
        url = self._token_url or token_url_for(request.url)
        if credentials.basic:
            data = {"client_id": credentials.client_id, "grant_type": "client_credentials"}
            return url, data, httpx.BasicAuth(credentials.client_id, credentials.client_secret)
        data = {
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "grant_type": "client_credentials",
        }
        # A no-op Auth, not the client default: token_http may be a client that itself uses this auth.
        return url, data, httpx.Auth()

    def _accept_response(self, url: str, response: httpx.Response, started: float) -> _Token:
        payload: object = None
        if response.is_success:
            with contextlib.suppress(ValueError, RecursionError):
                payload = json.loads(response.content)
        value = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(value, str) or not value:
            raise _token_error_from_response(
                response, client_id=self.client_id, url=_display_url(url), secrets=self.secrets()
            )
        assert isinstance(payload, dict)
        return self._accept(value, payload.get("expires_in"), started)

    def _accept(self, value: object, expires_in: object, started: float) -> _Token:
        if not isinstance(value, str) or not value:
            raise XAPIError(f"the token provider returned {type(value).__name__}, not a non-empty string")
        lifetime = _lifetime(value, expires_in)
        if lifetime is None:
            refresh_at = math.inf
        elif self._refresh_margin < lifetime:
            refresh_at = started + lifetime - self._refresh_margin
        else:
            refresh_at = started + lifetime / 2
        who = f"client id {self.client_id}" if self._credentials is not None else "the token provider"
        if lifetime is None:
            logger.debug("token acquired for %s, expiry unknown (kept until a 401)", who)
        else:
            logger.debug("token acquired for %s, expires in %.0f s", who, lifetime)
        return _Token(value, refresh_at, lifetime)

    def _default_http(self) -> httpx.Client:
        with self._lock:
            if self._own_http is None:
                self._own_http = httpx.Client(timeout=_DEFAULT_TOKEN_TIMEOUT)
            return self._own_http

    def _default_async_http(self) -> httpx.AsyncClient:
        state = self._loop_state()
        if state.http is None:
            state.http = httpx.AsyncClient(timeout=_DEFAULT_TOKEN_TIMEOUT)
        return state.http

    # -- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _authorize(request: httpx.Request, token: str) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def _rejected(self, response: httpx.Response) -> AuthenticationError:
        error = status_error_from_response(response, hint_client_id=self.client_id, secrets=self.secrets())
        assert isinstance(error, AuthenticationError)
        return error

    def _log_401(self, request: httpx.Request) -> None:
        who = f"client id {self.client_id}" if self._credentials is not None else "the token provider"
        logger.debug(
            "401 for %s %s; refreshing the token for %s and replaying once", request.method, request.url.path, who
        )

    def close(self) -> None:
        """Close the token client this object created, if any (never one passed in)."""
        with self._lock:
            http, self._own_http = self._own_http, None
        if http is not None:
            http.close()

    async def aclose(self) -> None:
        """Close the token clients this object created, including the one of the running event loop."""
        self.close()
        state = self._loop_state()
        http, state.http = state.http, None
        if http is not None:
            await http.aclose()


def _display_url(url: str) -> str:
    """The URL without userinfo or query, for messages."""
    try:
        parsed = httpx.URL(url)
    except Exception:
        return "the token endpoint"
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


def _lifetime(token: str, expires_in: object) -> float | None:
    """Seconds the token stays valid: the JWT says so best; ``expires_in`` meant minutes before 3CX 20.0.9."""
    claims = _jwt_claims(token)
    exp = _number(claims.get("exp")) if claims else None
    if claims and exp is not None:
        remaining = exp - time.time()
        iat = _number(claims.get("iat"))
        span = exp - iat if iat is not None and exp > iat else None
        # exp - iat is immune to clock skew between us and the PBX; take the smaller, never overstay.
        if span is not None:
            return min(span, remaining) if remaining > 0 else span
        if remaining > 0:
            return remaining
    seconds = _number(expires_in)
    return seconds if seconds is not None and seconds > 0 else None


def _jwt_claims(token: str) -> dict[str, object] | None:
    """The payload of a JWT, unverified: we only read the expiry, the PBX checks the signature."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
