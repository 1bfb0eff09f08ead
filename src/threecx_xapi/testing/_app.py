"""The ASGI application: token endpoint, document, and every XAPI operation behind a bearer token.

Each request is recorded, then faults apply (latency, an injected status, a dropped connection, a truncated
body), then it is routed: ``POST /connect/token``, ``GET /xapi/v1/swagger.yaml`` (no token needed), and
``/xapi/v1/...`` (a valid, current token needed, else 401 with an empty body). Every response carries
``X-3CX-Version``. Handlers are synchronous and quick (state in memory), so they run on the event loop.

The same object serves in-process (``httpx.ASGITransport``, Starlette's ``TestClient``) and under uvicorn.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from ._faults import Fault, Faults
from ._handlers import Dispatcher
from ._log import RequestLog
from ._replies import JSON_MEDIA_TYPE, Problem, Reply, odata_error, omit_empty, to_json_bytes
from ._routes import RouteError, Router
from ._tokens import TokenIssuer, TokenRefused
from ._urls import PathSyntaxError, QueryOptionError, parse_path, parse_query_string

__all__ = ["API_PREFIX", "InjectedReset", "XAPIApp"]

API_PREFIX = "/xapi/v1"
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
    ) -> None:
        self.router = router
        self.dispatcher = dispatcher
        self.issuer = issuer
        self.faults = faults
        self.log = log
        self.swagger = swagger
        self.version = version
        self.omit_empty = omit_empty

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not part of the XAPI
            return
        request = Request(scope, receive)
        body = await request.body()
        raw_path = _raw_path(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        target = raw_path + ("?" + query if query else "")
        self.log.record(request.method, target, list(request.headers.items()), body)
        delay = self.faults.delay_for(target)
        if delay:
            await asyncio.sleep(delay)
        fault = self.faults.take(target)
        if fault is not None and fault.kind == "status":
            reply = _fault_reply(fault)
        elif fault is not None and fault.kind == "malformed":
            reply = Reply(200, content=_MALFORMED_JSON, media_type=JSON_MEDIA_TYPE)
        else:
            reply = self._route(request, raw_path, query, body)
        response = self._response(reply)
        if fault is not None and fault.kind == "reset":
            response = _resetting(response)
        await response(scope, receive, send)

    # -- routing -------------------------------------------------------------------------------------------

    def _route(self, request: Request, raw_path: str, query: str, body: bytes) -> Reply:
        method = request.method
        if raw_path == "/connect/token":
            if method != "POST":
                return Reply(405, headers={"Allow": "POST"})
            return self._token(request, body)
        if raw_path == f"{API_PREFIX}/swagger.yaml" and method in ("GET", "HEAD"):
            if self.swagger is None:
                return Reply(404)
            return Reply(200, content=self.swagger, media_type="application/yaml")
        if raw_path != API_PREFIX and not raw_path.startswith(API_PREFIX + "/"):
            return Reply(404)
        if not self.issuer.check(request.headers.get("authorization")):
            return Reply(401, headers={"WWW-Authenticate": "Bearer"})
        try:
            return self._api(request, raw_path[len(API_PREFIX) :], query, body)
        except Problem as problem:
            return problem.reply()

    def _token(self, request: Request, body: bytes) -> Reply:
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            form = {}
        try:
            answer = self.issuer.issue(form, request.headers.get("authorization"))
        except TokenRefused as refused:
            return Reply(refused.status, json=refused.body, media_type="application/json", prune=False)
        headers = {"Cache-Control": "no-store"}
        return Reply(200, json=answer, media_type="application/json", headers=headers, prune=False)

    def _api(self, request: Request, path: str, query: str, body: bytes) -> Reply:
        try:
            segments = parse_path(path)
        except PathSyntaxError:
            raise Problem(404) from None
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
            raise Problem(exc.status, headers=headers) from None
        base = f"{request.url.scheme}://{request.url.netloc}{API_PREFIX}/"
        return self.dispatcher.handle(match, options, body, base)

    # -- responses -----------------------------------------------------------------------------------------

    def _response(self, reply: Reply) -> Response:
        headers = dict(reply.headers)
        headers["X-3CX-Version"] = self.version
        if reply.content is not None:
            return Response(reply.content, reply.status, headers, media_type=reply.media_type)
        if reply.json is None or reply.status == 204:
            return Response(b"", reply.status, headers)
        value = omit_empty(reply.json) if self.omit_empty and reply.prune else reply.json
        headers.setdefault("OData-Version", "4.0")
        return Response(to_json_bytes(value), reply.status, headers, media_type=reply.media_type or JSON_MEDIA_TYPE)


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
