"""Bearer-token authentication for the XAPI, as an ``httpx.Auth``.

The flow: take a token from the principal's cache (:mod:`._token_cache`: one per process for the same
credentials, single-flight), fetching it when needed from the token endpoint (:mod:`._token_endpoint`), a
``token_provider``, or an opt-in store shared between processes (:mod:`._token_store`); send the request; on a
401, refresh once and replay once. The sync and async flows share one cache.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import TYPE_CHECKING, TypeAlias

import httpx

from ._body_reader import aread_body, read_body
from ._credentials import ClientCredentials, token_url_for
from ._deadline import EXTENSION, Deadline
from ._exceptions import APITimeoutError, AuthenticationError, XAPIError
from ._jwt import is_sendable, token_lifetime
from ._redact import shown
from ._retry import RetryPolicy
from ._status_errors import status_error_from_response
from ._token_cache import Token, TokenCache, shared_cache
from ._token_endpoint import DEFAULT_TOKEN_TIMEOUT, TokenAnswer, TokenEndpoint
from ._token_store import FileTokenStore, StoredToken

if TYPE_CHECKING:  # asyncio costs ~60 ms to import; sync-only programs never need it
    import asyncio

__all__ = ["AsyncTokenProvider", "ClientCredentials", "TokenProvider", "XAPIAuth", "token_url_for"]

logger = logging.getLogger("threecx_xapi")

TokenProvider: TypeAlias = Callable[[], str]
"""Returns a bearer token; called once per refresh, single-flight."""

AsyncTokenProvider: TypeAlias = Callable[[], Awaitable[str]]
"""Like ``TokenProvider`` but awaited; usable with ``httpx.AsyncClient`` only."""

_MAX_ERROR_BODY = 1024 * 1024  # of a 401 answer, read for its message
_STORE_POLL = 0.02


class XAPIAuth(httpx.Auth):
    """Adds ``Authorization: Bearer ...`` to XAPI requests, obtaining and refreshing the token as needed.

    Pass exactly one of ``credentials`` (client-credentials grant against ``token_url``, by default
    ``/connect/token`` on the requested host), ``token`` (static: never refreshed, a 401 is final) or
    ``token_provider`` (called for each refresh; may be async with ``httpx.AsyncClient``).

    Credentials share one token cache with every other ``XAPIAuth`` of the process for the same token URL,
    client id and secret. ``token_store`` (a :class:`FileTokenStore`) shares it with other processes too.
    The token is reused until ``refresh_margin`` seconds before it expires (half its lifetime when the margin
    is longer). A 401 triggers one refresh and one replay of the request. Token requests go through
    ``token_http`` / ``async_token_http`` when given (a client, or for async a callable returning the client
    of the running event loop); otherwise through clients created on first use, released by :meth:`close` /
    :meth:`aclose`. The async flow needs asyncio.
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
        async_token_http: httpx.AsyncClient | Callable[[], httpx.AsyncClient] | None = None,
        retry: RetryPolicy | None = None,
        token_store: FileTokenStore | None = None,
        path_prefix: str = "",
    ) -> None:
        if sum(source is not None for source in (credentials, token, token_provider)) != 1:
            raise ValueError("pass exactly one of credentials, token or token_provider")
        if token is not None and not is_sendable(token):
            raise ValueError("token must be a non-empty string of visible ASCII characters (it goes in a header)")
        if not (refresh_margin >= 0 and math.isfinite(refresh_margin)):
            raise ValueError("refresh_margin must be a finite number of seconds >= 0")
        if token_store is not None and credentials is None:
            raise ValueError("token_store needs client credentials (a static token or a provider has nothing to share)")
        self._credentials = credentials
        self._static = token is not None
        self._provider = token_provider
        self._token_url = token_url
        self._refresh_margin = float(refresh_margin)
        self._clock = clock
        self._token_http = token_http
        self._async_token_http = async_token_http
        self._store = token_store
        self._endpoint = (
            TokenEndpoint(credentials, url=token_url, retry=retry, path_prefix=path_prefix)
            if credentials is not None
            else None
        )
        self._own_http: httpx.Client | None = None
        self._guard = threading.Lock()
        self._loop_http: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._caches: dict[str, TokenCache] = {}  # by token URL, for credentials; "" for a provider
        self._issued = 0  # tokens the endpoint issued to this object (not taken from a cache or the store)
        self._static_token = token

    @property
    def client_id(self) -> str | None:
        return self._credentials.client_id if self._credentials is not None else None

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a message: the client secret and the current tokens, for scrubbing."""
        found = []
        if self._credentials is not None:
            found.append(self._credentials.client_secret)
        if self._static_token is not None:
            found.append(self._static_token)
        for cache in list(self._caches.values()):
            token = cache.token
            if token is not None:
                found.append(token.value)
        return tuple(found)

    def __repr__(self) -> str:
        if self._credentials is not None:
            return (
                f"{type(self).__name__}(client_id={shown(repr(self._credentials.client_id))}, "
                f"token_url={shown(repr(self._token_url))})"
            )
        if self._static:
            return f"{type(self).__name__}(token=***)"
        return f"{type(self).__name__}(token_provider={self._provider!r})"

    # -- the flows ---------------------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        deadline = _deadline_of(request)
        if self._static_token is not None:
            response = yield self._authorize(request, self._static_token)
            if response.status_code == 401:
                read_body(response, limit=_MAX_ERROR_BODY, deadline=deadline)
                raise self._rejected(response)
            return
        request.read()
        token = self._sync_token(request, deadline)
        response = yield self._authorize(request, token)
        if response.status_code != 401:
            return
        read_body(response, limit=_MAX_ERROR_BODY, deadline=deadline)
        self._log_401(request)
        fresh = self._sync_token(request, deadline, failed=token)
        if fresh == token:
            raise self._rejected(response)
        response = yield self._authorize(request, fresh)
        if response.status_code == 401:
            read_body(response, limit=_MAX_ERROR_BODY, deadline=deadline)
            raise self._rejected(response)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        deadline = _deadline_of(request)
        if self._static_token is not None:
            response = yield self._authorize(request, self._static_token)
            if response.status_code == 401:
                await aread_body(response, limit=_MAX_ERROR_BODY, deadline=deadline)
                raise self._rejected(response)
            return
        await request.aread()
        token = await self._async_token(request, deadline)
        response = yield self._authorize(request, token)
        if response.status_code != 401:
            return
        await aread_body(response, limit=_MAX_ERROR_BODY, deadline=deadline)
        self._log_401(request)
        fresh = await self._async_token(request, deadline, failed=token)
        if fresh == token:
            raise self._rejected(response)
        response = yield self._authorize(request, fresh)
        if response.status_code == 401:
            await aread_body(response, limit=_MAX_ERROR_BODY, deadline=deadline)
            raise self._rejected(response)

    # -- the cache ---------------------------------------------------------------------------------------

    def _cache_for(self, request: httpx.Request) -> TokenCache:
        url = self._endpoint.url_for(request) if self._endpoint is not None else ""
        cache = self._caches.get(url)
        if cache is None:
            with self._guard:
                cache = self._caches.get(url)
                if cache is None:
                    credentials = self._credentials
                    cache = (
                        shared_cache(url, credentials.client_id, credentials.fingerprint)
                        if credentials is not None
                        else TokenCache()
                    )
                    self._caches[url] = cache
        return cache

    def _sync_token(self, request: httpx.Request, deadline: Deadline, failed: str | None = None) -> str:
        cache = self._cache_for(request)
        return cache.get(
            lambda: self._sync_fetch(request, deadline, failed), now=self._clock(), deadline=deadline, failed=failed
        )

    async def _async_token(self, request: httpx.Request, deadline: Deadline, failed: str | None = None) -> str:
        cache = self._cache_for(request)
        return await cache.aget(
            lambda: self._async_fetch(request, deadline, failed), now=self._clock(), deadline=deadline, failed=failed
        )

    # -- obtaining tokens --------------------------------------------------------------------------------

    def _sync_fetch(self, request: httpx.Request, deadline: Deadline, failed: str | None) -> Token:
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
        endpoint = self._endpoint
        assert endpoint is not None
        http = self._token_http or self._default_http()
        store = self._store
        if store is None:
            return self._from_answer(endpoint.fetch(http, request, deadline), started)
        url, client_id = endpoint.url_for(request), endpoint.credentials.client_id
        secret = endpoint.credentials.fingerprint
        while True:
            with store.locked(url, client_id, blocking=False) as held:
                if held:
                    stored = self._from_store(store.load(url, client_id, secret), failed)
                    if stored is not None:
                        return stored
                    token = self._from_answer(endpoint.fetch(http, request, deadline), started)
                    store.save(url, client_id, StoredToken(token.value, token.expires_at), secret)
                    return token
            _wait_for_store(deadline)
            time.sleep(_STORE_POLL)

    async def _async_fetch(self, request: httpx.Request, deadline: Deadline, failed: str | None) -> Token:
        started = self._clock()
        if self._provider is not None:
            value = self._provider()
            if inspect.isawaitable(value):
                value = await value
            return self._accept(value, None, started)
        endpoint = self._endpoint
        assert endpoint is not None
        http = self._async_http()
        store = self._store
        if store is None:
            return self._from_answer(await endpoint.afetch(http, request, deadline), started)
        import asyncio

        url, client_id = endpoint.url_for(request), endpoint.credentials.client_id
        secret = endpoint.credentials.fingerprint
        while True:
            with store.locked(url, client_id, blocking=False) as held:
                if held:
                    stored = self._from_store(store.load(url, client_id, secret), failed)
                    if stored is not None:
                        return stored
                    token = self._from_answer(await endpoint.afetch(http, request, deadline), started)
                    store.save(url, client_id, StoredToken(token.value, token.expires_at), secret)
                    return token
            _wait_for_store(deadline)
            await asyncio.sleep(_STORE_POLL)

    def _from_answer(self, answer: TokenAnswer, started: float) -> Token:
        with self._guard:
            self._issued += 1
        return self._accept(answer.value, answer.expires_in, started)

    def _from_store(self, stored: StoredToken | None, failed: str | None) -> Token | None:
        """A token another process stored, if it is not the one that just failed and has time left."""
        if stored is None or stored.value == failed or not is_sendable(stored.value):
            return None
        if stored.expires_at is None:
            return Token(stored.value, math.inf, None)
        lifetime = stored.expires_at - time.time()
        if lifetime <= self._refresh_margin:
            return None
        logger.debug("token for client id %s taken from the token store", shown(str(self.client_id)))
        return Token(stored.value, self._clock() + lifetime - self._refresh_margin, stored.expires_at)

    def _accept(self, value: object, expires_in: object, started: float) -> Token:
        if not is_sendable(value):
            what = (
                f"a string that cannot go in a header ({len(value)} characters; not shown)"
                if isinstance(value, str)
                else type(value).__name__
            )
            raise XAPIError(f"the token provider returned {what}, not a non-empty string of visible ASCII")
        assert isinstance(value, str)
        lifetime = token_lifetime(value, expires_in)
        if lifetime is None:
            refresh_at = math.inf
        elif self._refresh_margin < lifetime:
            refresh_at = started + lifetime - self._refresh_margin
        else:
            refresh_at = started + lifetime / 2
        who = f"client id {shown(str(self.client_id))}" if self._credentials is not None else "the token provider"
        if lifetime is None:
            logger.debug("token acquired for %s, expiry unknown (kept until a 401)", who)
        else:
            logger.debug("token acquired for %s, expires in %.0f s", who, lifetime)
        return Token(value, refresh_at, None if lifetime is None else time.time() + lifetime)

    def _default_http(self) -> httpx.Client:
        with self._guard:
            if self._own_http is None:
                self._own_http = httpx.Client(timeout=DEFAULT_TOKEN_TIMEOUT)
            return self._own_http

    def _async_http(self) -> httpx.AsyncClient:
        given = self._async_token_http
        if isinstance(given, httpx.AsyncClient):
            return given
        if given is not None:
            return given()
        import asyncio

        loop = asyncio.get_running_loop()
        with self._guard:
            http = self._loop_http.get(loop)
            if http is None:
                http = self._loop_http[loop] = httpx.AsyncClient(timeout=DEFAULT_TOKEN_TIMEOUT)
            return http

    # -- for diagnostics (pbx.doctor()) -------------------------------------------------------------------

    def held_token(self, request: httpx.Request) -> str | None:
        """The token held for ``request``'s PBX right now, without fetching one (None: none yet)."""
        if self._static_token is not None:
            return self._static_token
        token = self._cache_for(request).token
        return token.value if token is not None else None

    @property
    def source(self) -> str:
        """Where tokens come from: ``credentials`` (the token endpoint), ``token`` (static) or ``provider``."""
        if self._credentials is not None:
            return "credentials"
        return "token" if self._static else "provider"

    @property
    def tokens_issued(self) -> int:
        """How many tokens the token endpoint issued to this object; one taken from the store does not count."""
        return self._issued

    def obtain(self, request: httpx.Request, deadline: Deadline) -> str:
        """The token a request to ``request``'s PBX would carry: held, or fetched now (single-flight, shared)."""
        if self._static_token is not None:
            return self._static_token
        return self._sync_token(request, deadline)

    async def aobtain(self, request: httpx.Request, deadline: Deadline) -> str:
        """The async twin of :meth:`obtain`."""
        if self._static_token is not None:
            return self._static_token
        return await self._async_token(request, deadline)

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
        who = f"client id {shown(str(self.client_id))}" if self._credentials is not None else "the token provider"
        logger.debug(
            "401 for %s %s; refreshing the token for %s and replaying once",
            request.method,
            shown(request.url.path, limit=200),
            who,
        )

    def close(self) -> None:
        """Close the token client this object created, if any (never one passed in)."""
        with self._guard:
            http, self._own_http = self._own_http, None
        if http is not None:
            http.close()

    async def aclose(self) -> None:
        """Close the token clients this object created, including the one of the running event loop."""
        import asyncio

        self.close()
        loop = asyncio.get_running_loop()
        with self._guard:
            http = self._loop_http.pop(loop, None)
        if http is not None:
            await http.aclose()


def _deadline_of(request: httpx.Request) -> Deadline:
    deadline = request.extensions.get(EXTENSION)
    return deadline if isinstance(deadline, Deadline) else Deadline(None)


def _wait_for_store(deadline: Deadline) -> None:
    if deadline.expired:
        raise APITimeoutError("the call's timeout ran out while waiting for the token store's lock")
