"""The ASGI application: token endpoint, document, and every XAPI operation behind a bearer token.

Each request is read (413 past ``max_body_size``), recorded without its secrets, then faults apply (latency,
an injected status, a dropped connection, a truncated body), then it is routed: ``POST /connect/token`` (the
path matched as ASP.NET matches it: any case, trailing slash allowed), ``GET /xapi/v1/swagger.yaml`` (no token
needed), and ``/xapi/v1/...`` (a valid, current token needed, else 401 with an empty body; a role that may not
read the area, 403). Every response carries ``X-3CX-Version``; every error below 500 that the PBX answers with a
body carries the OData error shape, and no malformed request can crash a handler: what slips through the
checks answers 400, an unexpected fault 500, both as OData errors.

Handlers run on worker threads, so a slow request (a large export, a costly ``$filter``) never holds up the
event loop and the other clients it serves. The same object serves in-process (``httpx.ASGITransport``,
Starlette's ``TestClient``) and under uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

import anyio.to_thread
import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from ._faults import Fault, Faults
from ._forms import FormError, parse_form
from ._handlers import Dispatcher
from ._log import RequestLog
from ._replies import JSON_MEDIA_TYPE, Problem, Reply, odata_error, omit_empty, to_json_bytes
from ._roles import may_call
from ._routes import RouteError, Router
from ._tokens import TokenIssuer, TokenRefused, invalid_request
from ._urls import PathSyntaxError, QueryOptionError, parse_path, parse_query_string

__all__ = ["API_PREFIX", "DEFAULT_MAX_BODY_SIZE", "MAX_TARGET_LENGTH", "InjectedReset", "XAPIApp"]

API_PREFIX = "/xapi/v1"
TOKEN_PATH = "/connect/token"
DEFAULT_MAX_BODY_SIZE = 30_000_000  # Kestrel's MaxRequestBodySize
MAX_TARGET_LENGTH = 16_384  # a longer path and query answers 414 (Kestrel and nginx stop at 8 KiB)
_LOGGER = logging.getLogger("threecx_xapi.testing")
_MALFORMED_JSON = b'{"@odata.context":"$metadata#Users","value":[{"Id":1,"FirstName":"Ali'


class InjectedReset(httpx.RemoteProtocolError):
    """Raised inside a response on purpose: the connection drops mid-body, as a proxy or a PBX restart does.

    Under uvicorn the client sees the connection closed early; in-process (``ASGITransport``, ``TestClient``)
    this exception reaches the client, and it is the error httpx raises for a peer that hung up.
    """

    def __init__(self) -> None:
        super().__init__("peer closed connection without sending complete message body (injected)")


class XAPIApp:
    """The test server's ASGI callable."""

    def __init__(
        self,
        *,
        router: Router,
        dispatcher: Dispatcher,
        issuer: TokenIssuer,
        faults: Faults,
        log: RequestLog,
        swagger: bytes | None,
        version: str,
        omit_empty: bool,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        clock: Callable[[], float] | None = None,
        missing_operations: frozenset[str] = frozenset(),
    ) -> None:
        self.router = router
        self.dispatcher = dispatcher
        self.issuer = issuer
        self.faults = faults
        self.log = log
        self.swagger = swagger
        self.version = version
        self.omit_empty = omit_empty
        self.max_body_size = max_body_size
        self.clock = clock  # a PBX clock of its own (XAPITestServer(clock_skew=...)): answers carry its Date
        self.missing_operations = missing_operations  # operation ids answered as an older PBX does: no route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not part of the XAPI
            return
        request = Request(scope, receive)
        raw_path = _raw_path(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        target = raw_path + ("?" + query if query else "")
        body, too_large = await self._read_body(request, receive)
        self.log.record(request.method, target, list(request.headers.items()), body)
        token_request = is_token_path(raw_path)
        delay = self.faults.delay_for(target, token=token_request)
        if delay:
            await asyncio.sleep(delay)
        fault = self.faults.take(target, token=token_request, method=request.method)
        if fault is not None and fault.kind == "status":
            reply = _fault_reply(fault)
        elif fault is not None and fault.kind == "malformed":
            reply = Reply(200, content=_MALFORMED_JSON, media_type=JSON_MEDIA_TYPE)
        elif too_large:
            message = f"The request body is larger than the limit of {self.max_body_size} bytes."
            reply = Reply(413, json=odata_error(message), headers={"Connection": "close"})
        elif len(target) > MAX_TARGET_LENGTH:
            reply = Reply(414, json=odata_error(f"The request URI is longer than {MAX_TARGET_LENGTH} characters."))
        else:
            reply = await anyio.to_thread.run_sync(self._handle, request, raw_path, query, body)
        try:
            response = self._response(reply)
        except Exception:  # a reply that cannot be sent is a server fault, still answered as OData
            _LOGGER.exception("the test server could not send its reply to %s %s", request.method, raw_path)
            response = self._response(Reply(500, json=odata_error("An error has occurred.")))
        if fault is not None and fault.kind == "reset":
            response = _resetting(response)
        await response(scope, receive, send)

    async def _read_body(self, request: Request, receive: Receive) -> tuple[bytes, bool]:
        """The body, or ``(b"", True)`` once it is known to exceed ``max_body_size`` (the rest is not kept)."""
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_size:
            return b"", True
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False

    def _handle(self, request: Request, raw_path: str, query: str, body: bytes) -> Reply:
        """Route and answer one request (on a worker thread); nothing it raises escapes as a bare 500."""
        try:
            return self._route(request, raw_path, query, body)
        except Problem as problem:
            return problem.reply()
        except (RecursionError, OverflowError, ValueError, UnicodeError) as exc:
            _LOGGER.debug("malformed request answered 400: %r", exc)
            return Reply(400, json=odata_error("The request is malformed or exceeds a limit of the server."))
        except Exception:
            _LOGGER.exception("the test server failed on %s %s", request.method, raw_path)
            return Reply(500, json=odata_error("An error has occurred."))

    # -- routing -------------------------------------------------------------------------------------------

    def _route(self, request: Request, raw_path: str, query: str, body: bytes) -> Reply:
        method = request.method
        if is_token_path(raw_path):
            if method != "POST":
                message = f"The requested method {method} is not allowed for the token endpoint."
                return Reply(405, json=odata_error(message), headers={"Allow": "POST"})
            return self._token(request, body)
        if raw_path == f"{API_PREFIX}/swagger.yaml" and method in ("GET", "HEAD"):
            if self.swagger is None:
                return Reply(404, json=odata_error("No document is served by this test server."))
            return Reply(200, content=self.swagger, media_type="application/yaml")
        if raw_path != API_PREFIX and not raw_path.startswith(API_PREFIX + "/"):
            return Reply(404, json=odata_error(_no_resource(method, raw_path)))
        principal = self.issuer.check(request.headers.get("authorization"))
        if principal is None:
            return Reply(401, headers={"WWW-Authenticate": "Bearer"})
        try:
            return self._api(request, raw_path[len(API_PREFIX) :], query, body, principal.role)
        except Problem as problem:
            return problem.reply()

    def _token(self, request: Request, body: bytes) -> Reply:
        try:
            try:
                form = parse_form(request.headers.get("content-type", ""), body)
            except FormError:
                raise invalid_request(
                    "The token request must be sent as application/x-www-form-urlencoded or multipart/form-data."
                ) from None
            answer = self.issuer.issue(form, request.headers.get("authorization"))
        except TokenRefused as refused:
            return Reply(refused.status, json=refused.body, media_type="application/json", prune=False)
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        return Reply(200, json=answer, media_type="application/json", headers=headers, prune=False)

    def _api(self, request: Request, path: str, query: str, body: bytes, role: str) -> Reply:
        try:
            segments = parse_path(path)
        except PathSyntaxError:
            raise Problem(404, odata_error(_no_resource(request.method, API_PREFIX + path))) from None
        try:
            options, _ = parse_query_string(query)
        except QueryOptionError as exc:
            raise Problem(400, odata_error(str(exc))) from None
        try:
            match = self.router.match(request.method, segments)
        except RouteError as exc:
            if exc.status == 400:
                raise Problem(400, odata_error(exc.message)) from None
            headers = {"Allow": ", ".join(exc.allow)} if exc.allow else None
            if exc.status == 405:
                message = f"The HTTP method '{request.method}' is not allowed on '{API_PREFIX}{path}'."
            else:
                message = _no_resource(request.method, API_PREFIX + path)
            raise Problem(exc.status, odata_error(message), headers=headers) from None
        if match.route.operation_id in self.missing_operations:
            raise Problem(404, odata_error(_no_resource(request.method, API_PREFIX + path)))
        if not may_call(role, match.route.operation):
            raise Problem(403)
        base = f"{request.url.scheme}://{request.url.netloc}{API_PREFIX}/"
        return self.dispatcher.handle(match, options, body, base)

    # -- responses -----------------------------------------------------------------------------------------

    def _response(self, reply: Reply) -> Response:
        headers = dict(reply.headers)
        headers["X-3CX-Version"] = self.version
        if self.clock is not None:
            headers["Date"] = formatdate(self.clock(), usegmt=True)
        if reply.content is not None:
            return Response(reply.content, reply.status, headers, media_type=reply.media_type)
        if reply.json is None or reply.status == 204:
            return Response(b"", reply.status, headers)
        value = omit_empty(reply.json) if self.omit_empty and reply.prune else reply.json
        headers.setdefault("OData-Version", "4.0")
        return Response(to_json_bytes(value), reply.status, headers, media_type=reply.media_type or JSON_MEDIA_TYPE)


def is_token_path(raw_path: str) -> bool:
    """``/connect/token`` as ASP.NET routes it: case-insensitive, with or without a trailing slash."""
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return False
    return path.lower().rstrip("/") == TOKEN_PATH


def _no_resource(method: str, path: str) -> str:
    return f"No HTTP resource was found that matches the request {method} '{path}'."


def _raw_path(scope: Scope) -> str:
    """The path as sent (percent-escapes intact); ``ASGITransport`` has put the query in it on some versions."""
    raw: Any = scope.get("raw_path")
    if raw:
        text = bytes(raw).decode("latin-1")
        return text.split("?", 1)[0]
    return str(scope["path"])


def _fault_reply(fault: Fault) -> Reply:
    headers = dict(fault.headers)
    if fault.retry_after is not None:
        seconds = fault.retry_after
        headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
    if fault.body is not None:
        return Reply(fault.status, content=fault.body, media_type=headers.pop("Content-Type", None), headers=headers)
    return Reply(fault.status, headers=headers)


def _resetting(response: Response) -> Response:
    """The same response, sent as headers plus half the body, then the connection dropped."""
    body = bytes(response.body)
    half = body[: max(1, len(body) // 2)] if body else b""

    async def chunks() -> AsyncIterator[bytes]:
        if half:
            yield half
        raise InjectedReset()

    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    headers["Content-Length"] = str(max(len(body), len(half) + 1))
    return StreamingResponse(chunks(), response.status_code, headers)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
