"""``XAPI`` and ``AsyncXAPI``: configuration, one request pipeline, and the resources hung off them.

A call goes: resource method -> its endpoint module's ``build`` (the OData URL from typed arguments) ->
``_prepare`` (body checked and converted, options and headers merged) -> send with auth and retries ->
``_finish`` (status error raised) -> the endpoint module's ``parse``. Everything but the sending is shared by
the sync and async clients.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin

import httpx
from threecx_xapi_client.resources import AsyncResources, SyncResources

from . import _odata as odata
from ._auth import AsyncTokenProvider, ClientCredentials, TokenProvider, XAPIAuth
from ._bodies import request_body
from ._body_reader import DEFAULT_MAX_RESPONSE_SIZE, aread_body, is_file_answer, read_body
from ._deadline import EXTENSION, Deadline
from ._endpoint import EndpointRequest
from ._exceptions import APIResponseValidationError, XAPIError
from ._files import File
from ._headers import check_headers, user_agent
from ._loop_clients import LoopClients
from ._models import check_types
from ._paging import AsyncPage, PageData, PageParams, SyncPage, first_top
from ._resource import AsyncRequester, PageRequest, SyncRequester
from ._response import record_response, streaming
from ._retry import RetryPolicy, asend_with_retries, send_with_retries
from ._stack import user_stacklevel
from ._status_errors import status_error_from_response
from ._token_store import TokenStoreOption, store_from_option
from ._types import NOT_GIVEN, NotGiven, RequestOptions, TimeoutTypes
from ._urls import PBXURL, parse_base_url
from ._version import SeenVersion, warn_once_on_mismatch

if TYPE_CHECKING:
    from .doctor import DoctorReport
    from .export import Export

__all__ = ["DEFAULT_TIMEOUT", "XAPI", "AsyncXAPI"]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ENV_URL = "THREECX_XAPI_URL"
ENV_CLIENT_ID = "THREECX_XAPI_CLIENT_ID"
ENV_CLIENT_SECRET = "THREECX_XAPI_CLIENT_SECRET"

_Self = TypeVar("_Self", bound="_BaseXAPI")
T = TypeVar("T")

# Query options the client manages for paged calls; extra_query may not repeat them.
_MANAGED_OPTIONS = frozenset({"$top", "$skip", "$filter", "$search", "$count", "$select", "$orderby", "$expand"})


class _FileAnswer(Exception):
    """A paged download answered with a file (CSV, ZIP, ...) instead of JSON: returned, not dropped."""

    def __init__(self, file: File) -> None:
        self.file = file


class _BaseXAPI:
    """Everything but I/O: configuration, building requests, interpreting responses."""

    _url: PBXURL
    _auth: XAPIAuth
    _retry: RetryPolicy
    _timeout: TimeoutTypes
    _headers: dict[str, str]
    _client_id: str | None
    _strict: bool = False
    _max_response_size: int | None

    def _configure(
        self,
        base_url: str | None,
        *,
        client_id: str | None,
        client_secret: str | None,
        token: str | None,
        token_provider: TokenProvider | AsyncTokenProvider | None,
        customer_portal: bool,
        timeout: TimeoutTypes,
        max_retries: int,
        headers: Mapping[str, str] | None,
        refresh_margin: float,
        token_http: Any,
        async_token_http: Any,
        token_store_option: TokenStoreOption,
        max_response_size: int | None,
    ) -> None:
        base_url = base_url or os.environ.get(ENV_URL)
        if not base_url:
            raise ValueError(f"no PBX address: pass base_url or set {ENV_URL}")
        self._url = parse_base_url(base_url)
        if token is None and token_provider is None:
            client_id = client_id or os.environ.get(ENV_CLIENT_ID)
            client_secret = client_secret or os.environ.get(ENV_CLIENT_SECRET)
            if not client_secret or (not client_id and not customer_portal):
                raise ValueError(
                    f"no credentials: pass client_id and client_secret (or set {ENV_CLIENT_ID} and "
                    f"{ENV_CLIENT_SECRET}), a token, or a token_provider"
                )
        credentials: ClientCredentials | None = None
        if client_secret and token is None and token_provider is None:
            credentials = (
                ClientCredentials.customer_portal(client_secret)
                if customer_portal
                else ClientCredentials(str(client_id), client_secret)
            )
        self._client_id = credentials.client_id if credentials else None
        self._retry = RetryPolicy(max_retries=max_retries)
        if max_response_size is not None and (
            isinstance(max_response_size, bool) or not isinstance(max_response_size, int) or max_response_size < 1
        ):
            raise ValueError(f"max_response_size must be a positive int (bytes) or None, not {max_response_size!r}")
        self._max_response_size = max_response_size
        self._headers = {"Accept": "application/json", "User-Agent": user_agent(), **check_headers(headers)}
        self._auth = XAPIAuth(
            credentials,
            token=token,
            token_provider=token_provider,
            token_url=self._url.token,
            refresh_margin=refresh_margin,
            token_http=token_http,
            async_token_http=async_token_http,
            retry=self._retry,
            token_store=store_from_option(token_store_option),
            path_prefix=self._url.prefix,
        )
        self._timeout = timeout
        self._seen_version = SeenVersion()

    # --- building a request ------------------------------------------------------------------------------

    def _prepare(self, request: EndpointRequest, options: RequestOptions) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.build_request``: body checked, options merged, nothing sent."""
        wire = request_body(request.body_spec, request.body, extra_body=options.extra_body)
        prepared: dict[str, Any] = {
            "method": request.method,
            "url": self._url.api + request.url + _extra_query(request.url, options.extra_query),
            "headers": self._merge_headers(request.headers, options),
            "timeout": self._call_timeout(options),
        }
        if wire is not None:
            prepared["json"] = wire
        return prepared

    def _prepare_next_link(self, link: str, options: RequestOptions) -> dict[str, Any]:
        """A GET of ``@odata.nextLink``, resolved against the API URL, only to the PBX's own origin."""
        url = httpx.URL(urljoin(self._url.api + "/", link))
        base = httpx.URL(self._url.api)
        if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
            raise XAPIError(
                f"refusing @odata.nextLink to another origin ({url.scheme}://{url.host}"
                f"{':' + str(url.port) if url.port else ''}); the token goes only to {base.scheme}://{base.host}"
                f"{':' + str(base.port) if base.port else ''}"
            )
        return {
            "method": "GET",
            "url": url,
            "headers": self._merge_headers(None, options),
            "timeout": self._call_timeout(options),
        }

    def _call_timeout(self, options: RequestOptions) -> TimeoutTypes:
        return self._timeout if isinstance(options.timeout, NotGiven) else options.timeout

    def _merge_headers(self, generated: Mapping[str, str | None] | None, options: RequestOptions) -> dict[str, str]:
        headers = dict(self._headers)
        for name, value in (generated or {}).items():
            if value is not None:
                headers[name] = value
        headers.update(options.extra_headers or {})
        return headers

    # --- interpreting a response -------------------------------------------------------------------------

    def _finish(self, response: httpx.Response) -> None:
        """Raise the status error of a failed answer; hand the response to a raw or streaming wrapper."""
        warn_once_on_mismatch(response, stacklevel=user_stacklevel() + 1)  # at the user's line, paged calls too
        if not response.is_success:
            raise status_error_from_response(response, hint_client_id=self._client_id, secrets=self._auth.secrets())
        record_response(response)

    def _checked(self, parsed: T, response: httpx.Response) -> T:
        """With ``strict_response_validation``, every field of the answer must have its declared JSON type."""
        if self._strict:
            try:
                check_types(parsed.items if isinstance(parsed, PageData) else parsed, "answer")
            except TypeError as exc:
                raise APIResponseValidationError(response, f"does not match the declared type ({exc})") from None
        return parsed

    @staticmethod
    def _first_page(top: int | None, skip: int | None, limit: int | None, options: RequestOptions) -> PageParams:
        """The first page's ``$top``/``$skip``, checked before anything is sent."""
        odata.query_string(("$top", top), ("$skip", skip))
        managed = sorted(_MANAGED_OPTIONS.intersection(options.extra_query or {}))
        if managed:
            raise ValueError(f"extra_query may not set {', '.join(managed)}: pass them as arguments")
        return PageParams(top=first_top(top, limit), skip=skip or 0)

    @staticmethod
    def _page_request(build: PageRequest, params: PageParams, first: PageParams, skip: int | None) -> EndpointRequest:
        """The first page is asked for exactly as the caller wrote it; later pages move ``$skip`` on."""
        return build(params.top, skip if params == first else params.skip)

    @staticmethod
    def _page_data(parsed: PageData[T] | File, first: bool) -> PageData[T]:
        if isinstance(parsed, File):
            if first:
                raise _FileAnswer(parsed)
            raise XAPIError("a later page was answered with a file, not JSON")
        return parsed

    def _sendable(
        self, http: httpx.Client | httpx.AsyncClient, request_kwargs: dict[str, Any]
    ) -> tuple[httpx.Request, Deadline, dict[str, Any]]:
        """The request for ``_send`` (headers checked), the call's deadline, and its per-phase timeouts."""
        kwargs = {**request_kwargs, "headers": check_headers(request_kwargs.get("headers"), where="headers")}
        kwargs.setdefault("timeout", self._timeout)
        deadline = Deadline.after(kwargs["timeout"])
        request = http.build_request(**kwargs)
        request.extensions[EXTENSION] = deadline
        return request, deadline, dict(request.extensions.get("timeout", {}))

    def _copy(self: _Self, **changes: Any) -> _Self:
        clone = object.__new__(type(self))
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k.startswith("_")})
        clone.__dict__.update(changes)
        return clone

    def _options_changes(
        self, timeout: TimeoutTypes | NotGiven, max_retries: int | None, headers: Mapping[str, str] | None
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {"_owns_http": False}
        if not isinstance(timeout, NotGiven):
            changes["_timeout"] = timeout
        if max_retries is not None:
            changes["_retry"] = RetryPolicy(max_retries=max_retries)
        if headers:
            changes["_headers"] = {**self._headers, **check_headers(headers)}
        return changes

    @property
    def base_url(self) -> str:
        """The XAPI base, ``https://<pbx>[:port]/xapi/v1``."""
        return self._url.api

    @property
    def server_version(self) -> str | None:
        """The PBX's ``X-3CX-Version`` from its latest answer (errors too); None before any, or if it sends none."""
        return self._seen_version.value

    def __repr__(self) -> str:
        who = f"client_id={self._client_id!r}" if self._client_id else "token auth"
        return f"{type(self).__name__}({self._url.root!r}, {who})"


def _extra_query(url: str, extra: Mapping[str, object] | None) -> str:
    """``extra_query`` appended to the operation's own query string, encoded by the same rules."""
    query = odata.query_string(*(extra or {}).items())
    return "&" + query[1:] if query and "?" in url else query


class XAPI(_BaseXAPI, SyncResources):
    """The 3CX XAPI, synchronously: ``XAPI(base_url, client_id=..., client_secret=...)``.

    Every operation is ``pbx.<tag>.<operation>(...)``. Credentials fall back to ``THREECX_XAPI_URL``,
    ``THREECX_XAPI_CLIENT_ID`` and ``THREECX_XAPI_CLIENT_SECRET``. Pass ``http_client`` for custom transports,
    proxies or CA bundles; ``verify`` takes a CA bundle path for a self-hosted PBX.
    """

    _http: httpx.Client
    _owns_http: bool

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        customer_portal: bool = False,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        verify: bool | str | NotGiven = NOT_GIVEN,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        refresh_margin: float = 30.0,
        token_store: TokenStoreOption = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        strict_response_validation: bool = False,
    ) -> None:
        _check_verify(verify, http_client)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(verify=_ssl(verify), timeout=timeout)
        self._configure(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            token=token,
            token_provider=token_provider,
            customer_portal=customer_portal,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            refresh_margin=refresh_margin,
            token_http=self._http,
            async_token_http=None,
            token_store_option=token_store,
            max_response_size=max_response_size,
        )
        self._strict = strict_response_validation

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> XAPI:
        """A copy with other defaults that shares this client's connection pool and token."""
        return self._copy(**self._options_changes(timeout, max_retries, headers))

    def _send(self, method: str, request_kwargs: dict[str, Any]) -> httpx.Response:
        """Send with auth and retries within the call's deadline; the response comes back read (size-limited)."""
        http = self._http
        request, deadline, phases = self._sendable(http, request_kwargs)

        def attempt() -> httpx.Response:
            request.extensions["timeout"] = deadline.clip(phases)
            response = http.send(request, auth=self._auth, stream=True)
            if not (streaming() and is_file_answer(response)):  # a streamed file stays on the wire
                read_body(response, limit=self._max_response_size, deadline=deadline, phases=phases)
            return response

        response = send_with_retries(attempt, method=method, policy=self._retry, deadline=deadline)
        self._seen_version.saw(response)
        return response

    def _request(self, request: EndpointRequest, parse: Callable[[httpx.Response], T], options: RequestOptions) -> T:
        response = self._send(request.method, self._prepare(request, options))
        self._finish(response)
        return self._checked(parse(response), response)

    def _get_page(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T] | File],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> SyncPage[T]:
        first = self._first_page(top, skip, limit, options)

        def fetch(params: PageParams) -> PageData[T]:
            if params.next_link is not None:
                prepared = self._prepare_next_link(params.next_link, options)
            else:
                prepared = self._prepare(self._page_request(build, params, first, skip), options)
            response = self._send("GET", prepared)
            self._finish(response)
            return self._page_data(self._checked(parse(response), response), params == first)

        return SyncPage.first(fetch, first, limit=limit)

    def _get_page_or_file(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T] | File],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> SyncPage[T] | File:
        try:
            return self._get_page(build, parse, top=top, skip=skip, limit=limit, options=options)
        except _FileAnswer as answer:
            return answer.file

    def export(self, operation: str, **options: Any) -> Export:
        """Every row of a paged operation, windowed, checked and de-duplicated: see :mod:`threecx_xapi.export`.

        ``pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-31").to_file("calls.csv")``;
        iterate the result for the rows themselves. Arguments are checked here, before anything is sent.
        """
        from .export import Export

        return Export(self, operation, **options)

    def doctor(self, *, timeout: float | None = None, areas: Sequence[str] | None = None) -> DoctorReport:
        """Why does the integration not work? Name, port, TLS, token, clock, version and the role's access.

        Sends only reads, each within ``timeout`` seconds (default 10); ``areas`` narrows the access probes
        (see :mod:`threecx_xapi.doctor`). A failed check is in the report, never raised.
        """
        from .doctor._run import run_doctor

        return run_doctor(self, timeout=timeout, areas=areas)

    def close(self) -> None:
        """Close the connection pool (if this client made it)."""
        self._auth.close()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> XAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncXAPI(_BaseXAPI, AsyncResources):
    """The 3CX XAPI for asyncio: the same surface as ``XAPI``, awaited."""

    _http: httpx.AsyncClient
    _owns_http: bool

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        token_provider: TokenProvider | AsyncTokenProvider | None = None,
        customer_portal: bool = False,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        verify: bool | str | NotGiven = NOT_GIVEN,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        refresh_margin: float = 30.0,
        token_store: TokenStoreOption = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        strict_response_validation: bool = False,
    ) -> None:
        _check_verify(verify, http_client)
        self._owns_http = http_client is None
        ssl = _ssl(verify)
        self._http = http_client or httpx.AsyncClient(verify=ssl, timeout=timeout)
        # A client we made is re-made for each event loop; the caller's is used as given.
        self._loop_clients = LoopClients(
            self._http, None if http_client is not None else lambda: httpx.AsyncClient(verify=ssl, timeout=timeout)
        )
        self._configure(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            token=token,
            token_provider=token_provider,
            customer_portal=customer_portal,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            refresh_margin=refresh_margin,
            token_http=None,
            async_token_http=self._loop_clients.get,
            token_store_option=token_store,
            max_response_size=max_response_size,
        )
        self._strict = strict_response_validation

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncXAPI:
        """A copy with other defaults that shares this client's connection pool and token."""
        return self._copy(**self._options_changes(timeout, max_retries, headers))

    async def _send(self, method: str, request_kwargs: dict[str, Any]) -> httpx.Response:
        """Send with auth and retries within the call's deadline; the response comes back read (size-limited)."""
        http = self._loop_clients.get()
        request, deadline, phases = self._sendable(http, request_kwargs)

        async def attempt() -> httpx.Response:
            request.extensions["timeout"] = deadline.clip(phases)
            response = await http.send(request, auth=self._auth, stream=True)
            if not (streaming() and is_file_answer(response)):  # a streamed file stays on the wire
                await aread_body(response, limit=self._max_response_size, deadline=deadline, phases=phases)
            return response

        response = await asend_with_retries(attempt, method=method, policy=self._retry, deadline=deadline)
        self._seen_version.saw(response)
        return response

    async def _request(
        self, request: EndpointRequest, parse: Callable[[httpx.Response], T], options: RequestOptions
    ) -> T:
        response = await self._send(request.method, self._prepare(request, options))
        self._finish(response)
        return self._checked(parse(response), response)

    async def _get_page(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T] | File],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> AsyncPage[T]:
        first = self._first_page(top, skip, limit, options)

        async def fetch(params: PageParams) -> PageData[T]:
            if params.next_link is not None:
                prepared = self._prepare_next_link(params.next_link, options)
            else:
                prepared = self._prepare(self._page_request(build, params, first, skip), options)
            response = await self._send("GET", prepared)
            self._finish(response)
            return self._page_data(self._checked(parse(response), response), params == first)

        return await AsyncPage.first(fetch, first, limit=limit)

    async def _get_page_or_file(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T] | File],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> AsyncPage[T] | File:
        try:
            return await self._get_page(build, parse, top=top, skip=skip, limit=limit, options=options)
        except _FileAnswer as answer:
            return answer.file

    async def doctor(self, *, timeout: float | None = None, areas: Sequence[str] | None = None) -> DoctorReport:
        """The async twin of :meth:`XAPI.doctor`."""
        from .doctor._run import arun_doctor

        return await arun_doctor(self, timeout=timeout, areas=areas)

    async def close(self) -> None:
        """Close the connection pool (if this client made it) of the running event loop."""
        await self._auth.aclose()
        if self._owns_http:
            await self._loop_clients.aclose()

    async def __aenter__(self) -> AsyncXAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _requesters(sync: XAPI, async_: AsyncXAPI) -> tuple[SyncRequester, AsyncRequester]:
    """Never called: mypy checks here that the clients implement what the generated resources call."""
    return sync, async_


def _check_verify(verify: object, http_client: object) -> None:
    if http_client is not None and not isinstance(verify, NotGiven):
        raise ValueError(
            "verify= configures the HTTP client XAPI creates; with http_client= it would be ignored: "
            "configure TLS on that client (httpx.Client(verify=...)) instead"
        )


def _ssl(verify: bool | str | NotGiven) -> Any:
    if isinstance(verify, NotGiven):
        return True
    if isinstance(verify, str):
        import ssl

        return ssl.create_default_context(cafile=verify)
    return verify
