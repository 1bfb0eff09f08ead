"""A synchronous httpx transport onto an ASGI app: the sync SDK in-process, without a port or uvicorn.

``httpx.ASGITransport`` is async-only, and Starlette's ``TestClient`` is deprecated over httpx. This transport
runs the app on one private event loop thread and hands each request to it, so ``httpx.Client`` (and so
``XAPI``) can talk to the test server in the same process. Exceptions raised by the app reach the caller, as
with ``ASGITransport`` (an injected reset arrives as ``httpx.RemoteProtocolError``).
"""

from __future__ import annotations

import asyncio
import threading

import httpx
from starlette.types import ASGIApp

__all__ = ["SyncASGITransport"]


class SyncASGITransport(httpx.BaseTransport):
    """``httpx.Client(transport=SyncASGITransport(app), base_url="http://testserver")``."""

    def __init__(self, app: ASGIApp) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=content, extensions=request.extensions
        )
        future = asyncio.run_coroutine_threadsafe(self._send(forwarded), self._event_loop())
        status, headers, body = future.result()
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _send(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        response = await self._transport.handle_async_request(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return response.status_code, response.headers, body

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="xapi-asgi-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=1.0)
            loop.close()
