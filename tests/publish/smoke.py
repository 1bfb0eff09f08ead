"""Run inside a fresh virtual environment that installed threecx-xapi from the local index: import it, check
its versions, and make a real call over loopback HTTP.

    python -I smoke.py EXPECTED_VERSION EXPECTED_XAPI_VERSION

Standard library plus the installed package only: run isolated (-I), so an import that works here works for a
user who ran ``pip install threecx-xapi``. The PBX is the package's own ``threecx_xapi.testing.XAPITestServer``
when it was installed (``threecx-xapi[testing]``), which also proves the extra's dependencies came from the
index; without it, a tiny ``http.server`` answering ``POST /connect/token`` and ``GET /xapi/v1/Users(1)``.
Either way the facade's whole path runs: token, request, response parsed into the generated model.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "smoke"
CLIENT_SECRET = "smoke-secret"
USER = {"Id": 1, "Number": "100", "FirstName": "Ada", "LastName": "Lovelace", "EmailAddress": "ada@example.com"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


TOKEN = ".".join(
    (
        _b64(json.dumps({"alg": "ES256", "typ": "JWT"}).encode()),
        _b64(json.dumps({"exp": int(time.time()) + 3600, "client_id": CLIENT_ID}).encode()),
        _b64(b"unsigned"),
    )
)


class _PBX(BaseHTTPRequestHandler):
    seen: list[str] = []  # noqa: RUF012 - one server per process

    def _reply(self, status: int, body: Any, **headers: str) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.seen.append(f"POST {self.path}")
        if self.path == "/connect/token" and "grant_type=client_credentials" in body:
            self._reply(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})
        else:
            self._reply(400, {"error": "invalid_request"})

    def do_GET(self) -> None:
        self.seen.append(f"GET {self.path}")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"error": "unauthorized"})
        elif self.path.split("?", 1)[0] == "/xapi/v1/Users(1)":
            self._reply(
                200, {"@odata.context": "/xapi/v1/$metadata#Users/$entity", **USER}, X_3CX_Version="20.0.10.123"
            )
        else:
            self._reply(404, {"error": {"code": "", "message": "not found"}})

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _call_tiny_server(threecx_xapi: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PBX)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with threecx_xapi.XAPI(base, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as pbx:
            user = pbx.users.get_user(1)
    finally:
        server.shutdown()
    print(f"tiny http.server: get_user(1) -> {type(user).__name__}(number={user.number!r}, {user.first_name!r})")
    assert type(user).__name__ == "User" and user.number == "100" and user.first_name == "Ada", user
    assert _PBX.seen == ["POST /connect/token", "GET /xapi/v1/Users(1)"], _PBX.seen


def _call_test_server(threecx_xapi: Any, server_class: Any) -> None:
    with (
        server_class() as server,
        threecx_xapi.XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret) as pbx,
    ):
        url = server.url
        users = pbx.users.list_user(top=5).items  # the first page (iterating the page would walk them all)
        one = pbx.users.get_user(users[0].id)
    print(f"XAPITestServer at {url}: list_user(top=5) -> {[u.number for u in users]}; get_user -> {one.number}")
    assert len(users) == 5 and all(type(u).__name__ == "User" and isinstance(u.number, str) for u in users), users
    assert (one.id, one.number) == (users[0].id, users[0].number)


def main(expected_version: str, expected_xapi: str) -> int:
    import threecx_xapi

    print(f"threecx_xapi {threecx_xapi.__version__} (XAPI {threecx_xapi.XAPI_VERSION}) from {threecx_xapi.__file__}")
    assert threecx_xapi.__file__ is not None and threecx_xapi.__file__.startswith(sys.prefix), "not the venv's copy"
    assert threecx_xapi.__version__ == expected_version, (threecx_xapi.__version__, expected_version)
    assert expected_xapi == threecx_xapi.XAPI_VERSION, (threecx_xapi.XAPI_VERSION, expected_xapi)
    assert len(threecx_xapi.DOCUMENT_SHA256) == 64

    try:
        from threecx_xapi.testing import XAPITestServer
    except ImportError:
        _call_tiny_server(threecx_xapi)
    else:
        _call_test_server(threecx_xapi, XAPITestServer)

    assert threecx_xapi.check_server_version("20.0.10.123") is None
    assert "20.0.11.4" in (threecx_xapi.check_server_version("20.0.11.4") or "")
    print("smoke: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
