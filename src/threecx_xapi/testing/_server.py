"""``XAPITestServer``: the whole fake PBX, in-process as an ASGI app or on a loopback port with uvicorn.

Real serving runs uvicorn on a background thread over a socket bound before the thread starts, so ``url`` is
known at once and :meth:`XAPITestServer.start` returns only once the server accepts connections.
:meth:`XAPITestServer.stop` asks uvicorn to exit, gives open requests a short grace period and joins the
thread, well within a second.

The registry, router and catalog are built once per process (they only depend on the generated client); each
server has its own state, tokens, faults and request log.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.resources
import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from threecx_xapi import _registry as registry

from ._app import DEFAULT_MAX_BODY_SIZE, InjectedReset, XAPIApp
from ._catalog import Catalog
from ._faults import Faults
from ._handlers import Dispatcher
from ._log import DEFAULT_LOG_SIZE, RequestLog
from ._roles import check_role
from ._routes import Router
from ._samples import SampleFactory
from ._store import State
from ._tokens import TokenIssuer
from ._transport import SyncASGITransport

if TYPE_CHECKING:
    from threecx_xapi import XAPI, AsyncXAPI

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "DEFAULT_TOP_CAPS", "XAPITestServer"]

DEFAULT_CLIENT_ID = "test-client"
DEFAULT_CLIENT_SECRET = "test-secret"  # a test credential: the CLI prints it on purpose
DEFAULT_TOP_CAPS: Mapping[str, int] = {"Contacts": 100}
IN_PROCESS_URL = "http://testserver"
_START_TIMEOUT = 10.0
_MAX_HEAD_SIZE = 1 << 20
_GRACEFUL_SHUTDOWN = 1  # seconds uvicorn waits for running requests; stop() cuts off sooner


@functools.cache
def _router() -> Router:
    return Router(registry.operations())


@functools.cache
def _catalog() -> Catalog:
    return Catalog(_router().routes, _schemas())


@functools.cache
def _schemas() -> Mapping[str, Any]:
    """The component schemas the generator ships beside the registry (``schemas.json``)."""
    text = importlib.resources.files("threecx_xapi_client").joinpath("schemas.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class _QuietExpectedErrors(logging.Filter):
    """uvicorn logs an app exception as an error; an injected reset, or a slow request cut off by stop(), is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], (InjectedReset, asyncio.CancelledError)))


_QUIET = _QuietExpectedErrors()


class XAPITestServer:
    """A faithful loopback 3CX XAPI for tests: tokens, every operation of the registry, state, faults.

    ``with XAPITestServer() as server:`` starts it on a free port; ``server.url`` is its address,
    ``server.client_id`` / ``server.client_secret`` its credentials; ``server.asgi_app`` serves in-process
    without starting anything. See the package docstring for what it implements.

    To stage what goes wrong between a client and a PBX: ``version="20.0.9"`` answers with another
    ``X-3CX-Version``; ``clock_skew=600`` runs the PBX's clock ten minutes ahead (the tokens' ``iat`` and
    ``exp``, and a ``Date`` header); ``ssl_certfile`` (and ``ssl_keyfile``, PEM) serves HTTPS with that
    certificate; ``role="admin"`` makes the default principal a System Admin.

    To play an older or different PBX: ``version="20.0.8.100"`` is the ``X-3CX-Version`` it reports, and
    ``missing_operations={"ListUser"}`` (operation ids) answers those operations with the routing 404 of a PBX
    whose XAPI does not have them.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_lifetime: float = 3600,
        expires_in_unit: str = "seconds",
        omit_empty: bool = True,
        top_caps: Mapping[str, int] | None = None,
        seed: int = 0,
        swagger: bytes | str | os.PathLike[str] | None = None,
        role: str = "system_owner",
        latency: float = 0.0,
        call_log_rows: int = 0,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        request_log_size: int = DEFAULT_LOG_SIZE,
        version: str | None = None,
        clock_skew: float = 0.0,
        ssl_certfile: str | os.PathLike[str] | None = None,
        ssl_keyfile: str | os.PathLike[str] | None = None,
        missing_operations: Iterable[str] = (),
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must be non-empty")
        if max_body_size < 0:
            raise ValueError("max_body_size must be >= 0 bytes")
        if call_log_rows < 0:
            raise ValueError("call_log_rows must be >= 0")
        if not math.isfinite(clock_skew):
            raise ValueError("clock_skew must be a finite number of seconds")
        if ssl_keyfile is not None and ssl_certfile is None:
            raise ValueError("ssl_keyfile needs ssl_certfile")
        missing = frozenset(missing_operations)
        unknown = sorted(missing - {route.operation_id for route in _router().routes})
        if unknown:
            raise ValueError(f"missing_operations: no such operation in the registry: {', '.join(unknown)}")
        self.host = host
        self._port = port
        self._tls = (ssl_certfile, ssl_keyfile) if ssl_certfile is not None else None  # PEM files for uvicorn
        clock = _skewed_clock(clock_skew) if clock_skew else time.time
        self.client_id = client_id
        self.client_secret = client_secret
        self.seed = seed
        self.omit_empty = omit_empty
        self._issuer = TokenIssuer(
            client_id=client_id,
            client_secret=client_secret,
            lifetime=token_lifetime,
            expires_in_unit=expires_in_unit,
            role=check_role(role),
            clock=clock,
        )
        catalog = _catalog()
        factory = SampleFactory(catalog.schemas, seed)
        self._state = State(catalog, factory, call_log_rows=call_log_rows)
        self._faults = Faults(
            DEFAULT_TOP_CAPS if top_caps is None else top_caps, expire_token=self._issuer.expire, latency=latency
        )
        self._log = RequestLog(request_log_size, secrets=self._issuer.secrets)
        self._app = XAPIApp(
            router=_router(),
            dispatcher=Dispatcher(catalog, self._state, self._faults, factory),
            issuer=self._issuer,
            faults=self._faults,
            log=self._log,
            swagger=_read_swagger(swagger),
            version=str(registry.document().get("xapi_version", "")) if version is None else version,
            omit_empty=omit_empty,
            max_body_size=max_body_size,
            clock=clock if clock_skew else None,
            missing_operations=missing,
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._transport: SyncASGITransport | None = None

    def __repr__(self) -> str:
        where = self.url if self.running else "not started"
        return f"XAPITestServer({where}, client_id={self.client_id!r}, client_secret=***)"

    # -- what tests use ------------------------------------------------------------------------------------

    @property
    def asgi_app(self) -> XAPIApp:
        """The ASGI application, for ``httpx.ASGITransport`` or Starlette's ``TestClient`` (no port, no thread)."""
        return self._app

    @property
    def requests(self) -> RequestLog:
        """The newest requests received (``request_log_size`` of them), oldest first, secrets redacted."""
        return self._log

    @property
    def faults(self) -> Faults:
        """Fault switches: latency, delays, injected statuses, resets, malformed JSON, token expiry, ``$top`` caps."""
        return self._faults

    @property
    def state(self) -> State:
        """The entity sets and singletons (``server.state.records("Users")``, ``server.state.entity_set(...)``)."""
        return self._state

    @property
    def port(self) -> int:
        """The bound port once started (the configured one before)."""
        if self._socket is not None:
            return int(self._socket.getsockname()[1])
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with ``ssl_certfile``): the root a client takes as its base URL.

        The API is under ``/xapi/v1``.
        """
        if self._socket is None:
            raise RuntimeError("the server is not started: call start() or use it as a context manager")
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def xapi(self, **options: Any) -> XAPI:
        """An ``XAPI`` for this server with its credentials: over loopback when started, else in-process.

        ``options`` go to ``XAPI`` (``max_retries``, ``timeout`` ...). Close it (or use ``with``) when done.
        """
        from threecx_xapi import XAPI

        if self.running:
            return XAPI(self.url, client_id=self.client_id, client_secret=self.client_secret, **options)
        with self._lock:
            if self._transport is None:
                self._transport = SyncASGITransport(self._app)
            transport = self._transport
        http = httpx.Client(transport=transport, base_url=IN_PROCESS_URL)
        return XAPI(
            IN_PROCESS_URL, client_id=self.client_id, client_secret=self.client_secret, http_client=http, **options
        )

    def async_xapi(self, **options: Any) -> AsyncXAPI:
        """An ``AsyncXAPI`` for this server: over loopback when started, else in-process (``ASGITransport``)."""
        from threecx_xapi import AsyncXAPI

        if self.running:
            return AsyncXAPI(self.url, client_id=self.client_id, client_secret=self.client_secret, **options)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self._app), base_url=IN_PROCESS_URL)
        return AsyncXAPI(
            IN_PROCESS_URL, client_id=self.client_id, client_secret=self.client_secret, http_client=http, **options
        )

    def add_client(self, client_id: str, client_secret: str, *, role: str = "system_owner") -> None:
        """Another principal that may take tokens, e.g. ``add_client("ops", "s3cret-ops", role="admin")``.

        Its secret is scrubbed from the request log like the default one.
        """
        self._issuer.add_client(client_id, client_secret, check_role(role))

    def reset(self) -> None:
        """Back to the seeded state: data, tokens, faults and the request log."""
        self._state.reset()
        self._issuer.reset()
        self._faults.clear()
        self._log.clear()

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> XAPITestServer:
        """Serve on ``host:port`` (port 0: a free one) until :meth:`stop`; returns once connections are accepted."""
        import uvicorn

        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the server is already started")
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without it
            # every response waits ~40 ms for the client's delayed ACK (headers and body are separate writes)
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self._port))
            except OSError:
                sock.close()
                raise
            sock.listen(128)
            sock.setblocking(False)
            logging.getLogger("uvicorn.error").addFilter(_QUIET)
            config = uvicorn.Config(
                self._app,
                log_level="warning",
                lifespan="off",
                access_log=False,
                timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
                timeout_keep_alive=5,
                # long URLs reach the app, which answers 414 with an OData error instead of h11's bare 400
                h11_max_incomplete_event_size=_MAX_HEAD_SIZE,
                # a skewed server clock dates its answers itself (XAPIApp), so uvicorn must not add a second Date
                date_header=self._app.clock is None,
                **self._tls_config(),
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name=f"xapi-test-server:{sock.getsockname()[1]}"
            )
            thread.daemon = True
            self._server, self._thread, self._socket = server, thread, sock
            thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                self._cleanup()
                raise RuntimeError("the test server thread ended before it started serving")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the test server did not start in time")
            time.sleep(0.005)
        return self

    def _tls_config(self) -> dict[str, Any]:
        if self._tls is None:
            return {}
        certfile, keyfile = self._tls
        return {"ssl_certfile": os.fspath(certfile), "ssl_keyfile": os.fspath(keyfile) if keyfile else None}

    def stop(self) -> None:
        """Stop serving and join the thread; open connections are closed. Safe to call twice."""
        with self._lock:
            server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=0.5)
        if thread.is_alive():  # a request still running past the grace period: cut it off
            server.force_exit = True
            thread.join(timeout=1.0)
        self._cleanup()

    def close(self) -> None:
        """Stop serving and release the in-process transport of :meth:`xapi` clients."""
        self.stop()
        with self._lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    def _cleanup(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
            self._server = self._thread = self._socket = None

    def __enter__(self) -> XAPITestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _skewed_clock(skew: float) -> Callable[[], float]:
    """The wall clock of a PBX whose time is ``skew`` seconds ahead of ours (behind when negative)."""

    def clock() -> float:
        return time.time() + skew

    return clock


def _read_swagger(swagger: bytes | str | os.PathLike[str] | None) -> bytes | None:
    if swagger is None:
        return None
    if isinstance(swagger, bytes):
        return swagger
    return Path(swagger).read_bytes()
