"""A tiny scripted PBX on 127.0.0.1: a real HTTP/1.1 server whose answers each test writes.

``ScriptedPBX(api=..., token=...)`` serves ``POST /connect/token`` with ``token`` and everything else with
``api``; each is a function of the :class:`Received` request returning a :class:`Reply`. A reply's body is
bytes, or a list of ``(bytes, delay)`` chunks written with a pause before each (a body that drips). Every
request is recorded, in arrival order, with its headers and body exactly as they came off the wire.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "hardening-client"
SECRET = "S3cr3t-Value-0123456789-abcdefghij"  # 34 characters: long enough that any 8 of them are telling


def make_jwt(n: int, *, lifetime: int = 3600) -> str:
    """An unsigned JWT with ``exp`` and ``iat``: the client reads only those."""

    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    return f"{part({'alg': 'HS256'})}.{part({'n': n, 'iat': now, 'exp': now + lifetime})}.c2lnbmF0dXJlLXNpZw"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | list[tuple[bytes, float]] = b""

    @classmethod
    def json(cls, status: int, value: object, **headers: str) -> Reply:
        return cls(status, {"Content-Type": "application/json", **headers}, json.dumps(value).encode())

    @classmethod
    def text(cls, status: int, text: str, **headers: str) -> Reply:
        return cls(status, {"Content-Type": "text/plain; charset=utf-8", **headers}, text.encode())


Answer = Callable[[Received], Reply]


class ScriptedPBX:
    """Serves until :meth:`close`; ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, api: Answer | None = None, token: Answer | None = None) -> None:
        self.api: Answer = api or (lambda request: Reply.json(200, {"value": []}))
        self.token: Answer = token or self.issue
        self.received: list[Received] = []
        self.tokens: list[str] = []
        self._lock = threading.Lock()
        pbx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with pbx._lock:
                    pbx.received.append(received)
                answer = pbx.token if self.path.split("?")[0].endswith("/connect/token") else pbx.api
                reply = answer(received)
                try:
                    self._write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _write(self, reply: Reply) -> None:
                chunks = reply.body if isinstance(reply.body, list) else [(reply.body, 0.0)]
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(sum(len(c) for c, _ in chunks)))
                self.end_headers()
                self.wfile.flush()
                for chunk, delay in chunks:
                    if delay:
                        time.sleep(delay)
                    self.wfile.write(chunk)
                    self.wfile.flush()

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def issue(self, request: Received) -> Reply:
        """The default token endpoint: a fresh JWT per request (so a refresh is visible)."""
        with self._lock:
            token = make_jwt(len(self.tokens) + 1)
            self.tokens.append(token)
        return Reply.json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    @property
    def token_requests(self) -> list[Received]:
        return [r for r in self.received if r.path.endswith("/connect/token")]

    @property
    def api_requests(self) -> list[Received]:
        return [r for r in self.received if not r.path.endswith("/connect/token")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedPBX:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def substrings(secret: str, size: int = 8) -> Iterator[str]:
    """Every ``size``-character piece of ``secret``: none may appear anywhere a secret must not."""
    for start in range(len(secret) - size + 1):
        yield secret[start : start + size]
