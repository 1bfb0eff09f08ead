"""``XAPI`` and ``AsyncXAPI``: configuration, one request pipeline, and the resources hung off them.

A call goes: resource method -> ``_prepare`` (registry record, generated module's ``_get_kwargs`` for the
OData URL, body checked and converted, options merged) -> send with auth and retries -> ``_finish`` (status
error raised, or the generated module parses the body). Everything but the sending is shared by the sync
and async clients.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from threecx_xapi_client import odata
from threecx_xapi_client.resources import AsyncResources, SyncResources
from threecx_xapi_client.types import UNSET, File

from ._auth import AsyncTokenProvider, ClientCredentials, TokenProvider, XAPIAuth
from ._body_reader import DEFAULT_MAX_RESPONSE_SIZE, aread_body, read_body
from ._deadline import EXTENSION, Deadline
from ._exceptions import XAPIError
from ._headers import check_headers, user_agent
from ._loop_clients import LoopClients
from ._operations import Operation, operation
from ._paging import AsyncPage, PageData, PageParams, SyncPage
from ._response import RawResponse
from ._retry import RetryPolicy, asend_with_retries, send_with_retries
from ._status_errors import status_error_from_response
from ._token_store import TokenStoreOption, store_from_option
from ._types import NOT_GIVEN, NotGiven, RequestOptions, TimeoutTypes
from ._urls import PBXURL, parse_base_url
from ._version import warn_once_on_mismatch

__all__ = ["DEFAULT_TIMEOUT", "XAPI", "AsyncXAPI"]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ENV_URL = "THREECX_XAPI_URL"
ENV_CLIENT_ID = "THREECX_XAPI_CLIENT_ID"
ENV_CLIENT_SECRET = "THREECX_XAPI_CLIENT_SECRET"

_Self = TypeVar("_Self", bound="_BaseXAPI")


class _FileAnswer(Exception):
    """A paged download answered with a file (CSV, ZIP, ...) instead of JSON: returned, not dropped."""

    def __init__(self, file: File, response: httpx.Response) -> None:
        self.file = file
        self.response = response


class _WireBody:
    """A checked JSON body handed to a generated ``_get_kwargs``, which calls ``to_dict()`` on its body."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data


class _BaseXAPI:
    """Everything but I/O: configuration, building requests, interpreting responses."""

    _url: PBXURL
    _auth: XAPIAuth
    _retry: RetryPolicy
    _timeout: TimeoutTypes
    _headers: dict[str, str]
    _client_id: str | None
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

    # --- building a request ------------------------------------------------------------------------------

    def _prepare(
        self,
        operation_id: str,
        args: Mapping[str, object],
        *,
        body_args: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        options: RequestOptions,
        next_link: str | None = None,
    ) -> tuple[Operation, dict[str, Any]]:
        """The operation and the keyword arguments for ``httpx.Client.build_request``; errors before sending."""
        op = operation(operation_id)
        record = op.record
        if next_link is not None:
            return op, {"method": "GET", "url": next_link, "headers": self._merge_headers(None, options)}
        positional: list[object] = []
        keywords: dict[str, object] = {}
        for param in record["parameters"]:
            name = param["python_name"]
            if param["location"] == "path":
                positional.append(args[name])
            elif name in args and args[name] is not None:
                keywords[name] = args[name]
        wire_body = self._body(op, body_args, body, options)
        if wire_body is not None:
            keywords["body"] = _WireBody(wire_body)
        elif record["body"] is not None and record["body"]["required"]:
            keywords["body"] = _WireBody({})
        kwargs: dict[str, Any] = op.module._get_kwargs(*positional, **keywords)
        url = self._url.api + kwargs["url"] + _extra_query(kwargs["url"], options.extra_query)
        request: dict[str, Any] = {
            "method": kwargs["method"].upper(),
            "url": url,
            "headers": self._merge_headers(kwargs.get("headers"), options),
        }
        if "json" in kwargs:
            request["json"] = kwargs["json"]
        timeout = self._timeout if isinstance(options.timeout, NotGiven) else options.timeout
        request["timeout"] = timeout
        return op, request

    def _body(
        self, op: Operation, body_args: Mapping[str, object] | None, body: object, options: RequestOptions
    ) -> dict[str, Any] | None:
        from ._bodies import build_body, coerce  # only calls with a body pay for the schema checker

        spec = op.record["body"]
        if spec is None:
            if options.extra_body:
                raise ValueError(f"{op.id} takes no request body; extra_body is not allowed")
            return None
        if spec["kind"] == "parameters":
            given = {k: v for k, v in (body_args or {}).items() if not isinstance(v, NotGiven)}
            if not given and not options.extra_body and not spec["required"]:
                return None
            return build_body(spec, given, extra_body=options.extra_body)
        if isinstance(body, NotGiven):
            if spec["required"] and not options.extra_body:
                raise ValueError(f"{op.id} needs a body ({spec['model']} or a dict)")
            wire: dict[str, Any] = {}
        else:
            checked = coerce(body, spec["schema"], path=spec["model"] or "body")
            if not isinstance(checked, dict):
                raise ValueError(f"{op.id}: the body must be a JSON object")
            wire = checked
        for key, value in (options.extra_body or {}).items():
            if key in wire:
                raise ValueError(f"extra_body key {key!r} is already in the body")
            wire[key] = value
        return wire

    def _merge_headers(self, generated: Mapping[str, str] | None, options: RequestOptions) -> dict[str, str]:
        return {**self._headers, **(generated or {}), **(options.extra_headers or {})}

    # --- interpreting a response -------------------------------------------------------------------------

    def _finish(self, op: Operation, response: httpx.Response) -> Any:
        warn_once_on_mismatch(response, stacklevel=6)  # point at the caller of pbx.<tag>.<operation>()
        if not response.is_success:
            raise status_error_from_response(response, hint_client_id=self._client_id, secrets=self._auth.secrets())
        return op.module._build_response(response=response).parsed

    @staticmethod
    def _page_data(parsed: Any, response: httpx.Response, params: PageParams, first: PageParams) -> PageData[Any]:
        if isinstance(parsed, File):
            if params == first:
                raise _FileAnswer(parsed, response)
            raise XAPIError(f"{response.request.url.path}: a later page was answered with a file, not JSON")

        def given(value: Any) -> Any:
            return None if value is UNSET else value

        items = given(getattr(parsed, "value", None)) or []
        return PageData(
            items=list(items),
            count=given(getattr(parsed, "odata_count", None)),
            next_link=given(getattr(parsed, "odata_next_link", None)),
            context=given(getattr(parsed, "odata_context", None)),
            http_response=response,
        )

    @staticmethod
    def _page_args(args: Mapping[str, object], params: PageParams) -> Mapping[str, object]:
        """The first page is asked for exactly as the caller wrote it; later pages move ``$skip`` on."""
        if params.top == args.get("top") and params.skip == (args.get("skip") or 0):
            return args
        return {**args, "top": params.top, "skip": params.skip}

    @staticmethod
    def _check_paging(args: Mapping[str, object]) -> None:
        """``$top``/``$skip`` must be non-negative ints; refused here, before the first page is requested."""
        odata.query_string(("$top", args.get("top")), ("$skip", args.get("skip")))

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
            read_body(response, limit=self._max_response_size, deadline=deadline, phases=phases)
            return response

        return send_with_retries(attempt, method=method, policy=self._retry, deadline=deadline)

    def _request(
        self,
        operation_id: str,
        args: Mapping[str, object],
        *,
        options: RequestOptions,
        body_args: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        raw: bool = False,
    ) -> Any:
        op, request_kwargs = self._prepare(operation_id, args, body_args=body_args, body=body, options=options)
        response = self._send(op.method, request_kwargs)
        parsed = self._finish(op, response)
        return RawResponse(parsed, response) if raw else parsed

    def _page(
        self, operation_id: str, args: Mapping[str, object], *, options: RequestOptions, raw: bool = False
    ) -> Any:
        self._check_paging(args)
        first = PageParams(top=_int_or_none(args.get("top")), skip=_skip(args))

        def fetch(params: PageParams) -> PageData[Any]:
            op, request_kwargs = self._prepare(
                operation_id, self._page_args(args, params), options=options, next_link=params.next_link
            )
            response = self._send(op.method, request_kwargs)
            return self._page_data(self._finish(op, response), response, params, first)

        try:
            page = SyncPage.first(fetch, first)
        except _FileAnswer as answer:
            return RawResponse(answer.file, answer.response) if raw else answer.file
        return _raw_page(page) if raw else page

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
            await aread_body(response, limit=self._max_response_size, deadline=deadline, phases=phases)
            return response

        return await asend_with_retries(attempt, method=method, policy=self._retry, deadline=deadline)

    async def _request(
        self,
        operation_id: str,
        args: Mapping[str, object],
        *,
        options: RequestOptions,
        body_args: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        raw: bool = False,
    ) -> Any:
        op, request_kwargs = self._prepare(operation_id, args, body_args=body_args, body=body, options=options)
        response = await self._send(op.method, request_kwargs)
        parsed = self._finish(op, response)
        return RawResponse(parsed, response) if raw else parsed

    async def _page(
        self, operation_id: str, args: Mapping[str, object], *, options: RequestOptions, raw: bool = False
    ) -> Any:
        self._check_paging(args)
        first = PageParams(top=_int_or_none(args.get("top")), skip=_skip(args))

        async def fetch(params: PageParams) -> PageData[Any]:
            op, request_kwargs = self._prepare(
                operation_id, self._page_args(args, params), options=options, next_link=params.next_link
            )
            response = await self._send(op.method, request_kwargs)
            return self._page_data(self._finish(op, response), response, params, first)

        try:
            page = await AsyncPage.first(fetch, first)
        except _FileAnswer as answer:
            return RawResponse(answer.file, answer.response) if raw else answer.file
        return _raw_page(page) if raw else page

    async def close(self) -> None:
        """Close the connection pool (if this client made it) of the running event loop."""
        await self._auth.aclose()
        if self._owns_http:
            await self._loop_clients.aclose()

    async def __aenter__(self) -> AsyncXAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _raw_page(page: SyncPage[Any] | AsyncPage[Any]) -> RawResponse[Any]:
    if page.http_response is None:  # pragma: no cover - every page the client fetches has its response
        raise RuntimeError("page without a response")
    return RawResponse(page, page.http_response)


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


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _skip(args: Mapping[str, object]) -> int:
    skip = args.get("skip")
    return skip if isinstance(skip, int) and not isinstance(skip, bool) else 0
