"""Tests for generator.fetch against real HTTP servers on 127.0.0.1 and the real XAPI documents when present."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import fetch
from generator.fetch import (
    DocumentError,
    FetchedDocument,
    fetch_document,
    load,
    main,
    parse_document,
    read_document,
)

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec"

CLIENT_ID = "gen-client"
SECRET = "s3cr3t-VALUE-do-not-leak"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.ACCESS-TOKEN-do-not-leak.sig"

MINIMAL_YAML = b"""\
openapi: 3.0.4
info:
  title: XAPI
  version: 1.0.0
paths:
  /Users:
    get:
      responses:
        '200':
          description: ok
    post:
      responses:
        '201':
          description: created
  /Users({Id}):
    description: not an operation
    get:
      responses:
        '200':
          description: ok
    patch:
      responses:
        '204':
          description: ok
    delete:
      responses:
        '204':
          description: ok
components:
  schemas:
    Pbx.User:
      type: object
    Pbx.Group:
      type: object
"""

MINIMAL_JSON = json.dumps(
    {
        "openapi": "3.0.1",
        "info": {"title": "XAPI", "version": "1.0.0"},
        "paths": {"/Users": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Pbx.User": {"type": "object"}}},
    }
).encode()


# --------------------------------------------------------------------------------------------------- server


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True  # False: HTTP/1.0 close-delimited body, so only streaming can stop it
    delay: float = 0.0


Route = Callable[[Recorded], Reply]


class Server:
    """A threaded HTTP server whose answers are set per (method, path); every request is recorded."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.routes: dict[tuple[str, str], Reply | Route] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Recorded(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                route = server.routes.get((self.command, self.path.split("?")[0]))
                if route is None:
                    reply = Reply(404, b"not found")
                elif isinstance(route, Reply):
                    reply = route
                else:
                    reply = route(request)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    if reply.content_length:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client hung up (oversize/timeout tests)
                    pass

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def serve_document(self, body: bytes = MINIMAL_YAML, *, content_length: bool = True, delay: float = 0.0) -> None:
        headers = {"Content-Type": "application/yaml"}
        self.routes[("GET", "/xapi/v1/swagger.yaml")] = Reply(200, body, headers, content_length, delay)

    def serve_token(self, token: str = TOKEN) -> None:
        body = json.dumps({"token_type": "Bearer", "expires_in": 60, "access_token": token}).encode()
        self.routes[("POST", "/connect/token")] = Reply(200, body, {"Content-Type": "application/json"})


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


def assert_no_secrets(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text
    assert "ACCESS-TOKEN" not in text


# --------------------------------------------------------------------------------------------------- fetch


def test_token_then_authenticated_fetch(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    server.serve_token()
    server.serve_document()
    caplog.set_level(logging.DEBUG)

    doc = fetch_document(server.url + "/xapi/v1/", client_id=CLIENT_ID, client_secret=SECRET)

    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/connect/token"),
        ("GET", "/xapi/v1/swagger.yaml"),
    ]
    token_request, doc_request = server.requests
    assert token_request.body == f"client_id={CLIENT_ID}&client_secret={SECRET}&grant_type=client_credentials".encode()
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in token_request.headers
    assert doc_request.headers["authorization"] == f"Bearer {TOKEN}"
    assert doc_request.body == b""

    assert doc.raw == MINIMAL_YAML
    assert doc.source == server.url + "/xapi/v1/swagger.yaml"
    assert doc.openapi_version == "3.0.4"
    assert doc.operation_count == 5
    assert doc.schema_count == 2
    assert_no_secrets(repr(doc))
    assert_no_secrets(caplog.text)


def test_unauthenticated_fetch(server: Server) -> None:
    server.serve_document(MINIMAL_JSON)

    doc = fetch_document(server.url)

    assert [(r.method, r.path) for r in server.requests] == [("GET", "/xapi/v1/swagger.yaml")]
    assert "authorization" not in server.requests[0].headers
    assert doc.openapi_version == "3.0.1"
    assert doc.data["paths"]["/Users"]["get"]["responses"]["200"]["description"] == "ok"


def test_base_url_is_normalised_and_secrets_dropped_from_source(server: Server) -> None:
    server.serve_document()

    doc = fetch_document(f"http://user:pw-{SECRET}@127.0.0.1:{server.port}/xapi/v1?key={SECRET}#frag")

    assert server.requests[0].path == "/xapi/v1/swagger.yaml"
    assert "authorization" not in server.requests[0].headers  # userinfo is not turned into Basic auth
    assert doc.source == server.url + "/xapi/v1/swagger.yaml"


def test_token_endpoint_401_surfaces_error_description_without_secret(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"error": "unauthorized", "error_description": f"Client authentication failed (got {SECRET})"}
    server.routes[("POST", "/connect/token")] = Reply(401, json.dumps(body).encode())
    server.serve_document()

    with pytest.raises(DocumentError) as info:
        fetch_document(server.url, client_id=CLIENT_ID, client_secret=SECRET)

    message = str(info.value)
    assert "401" in message
    assert "unauthorized" in message
    assert "Client authentication failed" in message
    assert "/connect/token" in message
    assert "XAPI_CLIENT_SECRET" in message
    assert_no_secrets(message)
    assert_no_secrets(repr(info.value))
    assert_no_secrets(caplog.text)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert [r.path for r in server.requests] == ["/connect/token"]  # never went on to the document


def test_token_answer_without_access_token(server: Server) -> None:
    server.routes[("POST", "/connect/token")] = Reply(200, b'{"token_type":"Bearer"}')

    with pytest.raises(DocumentError, match="without an access_token"):
        fetch_document(server.url, client_id=CLIENT_ID, client_secret=SECRET)


def test_only_one_credential_is_refused_before_sending(server: Server) -> None:
    with pytest.raises(DocumentError, match="both XAPI_CLIENT_ID and XAPI_CLIENT_SECRET"):
        fetch_document(server.url, client_id=CLIENT_ID)
    assert server.requests == []


@pytest.mark.parametrize("status", [401, 403])
def test_swagger_needs_auth_without_credentials(server: Server, status: int) -> None:
    server.routes[("GET", "/xapi/v1/swagger.yaml")] = Reply(status, b"")

    with pytest.raises(DocumentError) as info:
        fetch_document(server.url)

    message = str(info.value)
    assert str(status) in message
    assert "XAPI_CLIENT_ID" in message and "XAPI_CLIENT_SECRET" in message
    assert server.url + "/xapi/v1/swagger.yaml" in message


def test_rejected_token_does_not_leak_it(server: Server) -> None:
    server.serve_token()
    server.routes[("GET", "/xapi/v1/swagger.yaml")] = Reply(403, TOKEN.encode())

    with pytest.raises(DocumentError) as info:
        fetch_document(server.url, client_id=CLIENT_ID, client_secret=SECRET)

    assert "403" in str(info.value)
    assert "rejected the access token" in str(info.value)
    assert_no_secrets(str(info.value))


@pytest.mark.parametrize("status", [404, 500, 503])
def test_non_2xx_names_status_and_url(server: Server, status: int) -> None:
    server.routes[("GET", "/xapi/v1/swagger.yaml")] = Reply(status, b"boom")

    with pytest.raises(DocumentError) as info:
        fetch_document(server.url)

    assert f"HTTP {status}" in str(info.value)
    assert server.url + "/xapi/v1/swagger.yaml" in str(info.value)


def test_redirect_is_reported_not_followed(server: Server) -> None:
    server.routes[("GET", "/xapi/v1/swagger.yaml")] = Reply(
        302, b"", {"Location": "https://elsewhere.example/xapi/v1/swagger.yaml?sig=abc"}
    )

    with pytest.raises(DocumentError) as info:
        fetch_document(server.url)

    assert "302" in str(info.value)
    assert "https://elsewhere.example/xapi/v1/swagger.yaml" in str(info.value)
    assert "sig=abc" not in str(info.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("content_length", [True, False], ids=["announced", "streamed"])
def test_oversize_body_stops(server: Server, monkeypatch: pytest.MonkeyPatch, content_length: bool) -> None:
    monkeypatch.setattr(fetch, "MAX_DOCUMENT_BYTES", 4096)
    server.serve_document(MINIMAL_YAML + b"#" * 2_000_000, content_length=content_length)

    with pytest.raises(DocumentError, match="4096-byte limit"):
        fetch_document(server.url)


def test_parse_document_refuses_oversize(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "MAX_DOCUMENT_BYTES", 16)
    with pytest.raises(DocumentError, match="16-byte limit"):
        parse_document(MINIMAL_YAML, source="mem")


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DocumentError, match=f"could not connect to http://127.0.0.1:{port}/xapi/v1/swagger.yaml"):
        fetch_document(f"http://127.0.0.1:{port}", timeout=2)


def test_timeout(server: Server) -> None:
    server.serve_document(delay=1.0)
    started = time.monotonic()
    with pytest.raises(DocumentError, match=r"timed out after 0\.2s waiting for http://127\.0\.0\.1"):
        fetch_document(server.url, timeout=0.2)
    assert time.monotonic() - started < 1.0


def test_bad_ca_bundle(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="CA certificates"):
        fetch_document(server.url, verify=str(tmp_path / "missing.pem"))
    assert server.requests == []


@pytest.mark.parametrize(
    "template",
    [
        "127.0.0.1:{port}",
        "localhost:{port}",
        "//127.0.0.1:{port}/xapi/v1",
        "ftp://127.0.0.1:{port}",
        "http://",
        "https:///xapi/v1",
        "http://:{port}",
        "http://127.0.0.1:notaport",
        "http://127.0.0.1:99999",
        "",
        "   ",
    ],
)
def test_bad_base_urls_refused_before_sending(server: Server, template: str) -> None:
    with pytest.raises(DocumentError, match="invalid base URL"):
        fetch_document(template.format(port=server.port), client_id=CLIENT_ID, client_secret=SECRET)
    assert server.requests == []


def test_bad_base_url_message_hides_userinfo_and_query() -> None:
    with pytest.raises(DocumentError) as info:
        fetch_document(f"ftp://admin:{SECRET}@pbx.example.com/?token={TOKEN}")
    assert_no_secrets(str(info.value))


def test_load_dispatches_url_with_env_credentials(server: Server) -> None:
    server.serve_token()
    server.serve_document()

    doc = load(server.url, env={"XAPI_CLIENT_ID": CLIENT_ID, "XAPI_CLIENT_SECRET": SECRET})

    assert [r.path for r in server.requests] == ["/connect/token", "/xapi/v1/swagger.yaml"]
    assert doc.schema_count == 2


def test_load_dispatches_url_without_credentials(server: Server) -> None:
    server.serve_document()
    load(server.url + "/", env={})
    assert [r.path for r in server.requests] == ["/xapi/v1/swagger.yaml"]


def test_load_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(MINIMAL_YAML)
    doc = load(str(path), env={})
    assert doc.source == str(path)
    assert doc.raw == MINIMAL_YAML


# --------------------------------------------------------------------------------------------------- parsing


def test_parse_yaml_document() -> None:
    doc = parse_document(MINIMAL_YAML, source="mem.yaml")
    assert isinstance(doc, FetchedDocument)
    assert doc.openapi_version == "3.0.4"
    assert doc.operation_count == 5
    assert doc.schema_count == 2
    assert len(doc.sha256) == 64
    assert "raw" not in repr(doc)


def test_parse_json_document() -> None:
    doc = parse_document(b"\n  " + MINIMAL_JSON, source="mem.json")
    assert doc.openapi_version == "3.0.1"
    assert doc.operation_count == 1
    assert doc.raw == b"\n  " + MINIMAL_JSON


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"swagger: '2.0'\ninfo: {}\npaths: {/a: {get: {}}}\n", r"Swagger/OpenAPI 2\.0.*only OpenAPI 3\.0\.x"),
        (MINIMAL_YAML.replace(b"3.0.4", b"3.1.0"), r"found OpenAPI '3\.1\.0'; only OpenAPI 3\.0\.x"),
        (MINIMAL_YAML.replace(b"3.0.4", b"3.0"), r"must be a version string.*3\.0.*float"),
        (b"info: {}\npaths: {/a: {get: {}}}\n", r"no `openapi` version field"),
        (b"openapi: 3.0.4\ncomponents: {schemas: {}}\n", r"`paths` must be a non-empty mapping"),
        (b"openapi: 3.0.4\npaths: {}\ncomponents: {schemas: {}}\n", r"`paths` must be a non-empty mapping.*empty"),
        (b"openapi: 3.0.4\npaths: {/a: {get: {}}}\n", r"`components` must be a mapping"),
        (b"openapi: 3.0.4\npaths: {/a: {get: {}}}\ncomponents: {}\n", r"`components\.schemas` must be a mapping"),
        (b"- openapi\n- 3.0.4\n", r"top level must be a mapping.*list"),
        (b"just a string\n", r"top level must be a mapping.*str"),
        (b"", r"empty"),
        (b"openapi: [3.0.4\npaths: {\n", r"not valid \(safe\) YAML"),
        (b"a: 1\n---\nb: 2\n", r"not valid \(safe\) YAML"),
        (b'{"openapi": "3.0.4", ', r"not valid JSON"),
        (b"openapi: \x80\x81 3.0.4\n", r"not valid"),
    ],
)
def test_parse_document_refusals(raw: bytes, expected: str) -> None:
    with pytest.raises(DocumentError, match=expected) as info:
        parse_document(raw, source="some/source.yaml")
    assert "some/source.yaml" in str(info.value)


def test_python_object_tag_is_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    raw = MINIMAL_YAML + f"x-evil: !!python/object/apply:os.system ['touch {marker}']\n".encode()
    with pytest.raises(DocumentError, match="not valid"):
        parse_document(raw, source="evil.yaml")
    assert not marker.exists()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_parse_document_only_ever_raises_document_error(raw: bytes) -> None:
    with contextlib.suppress(DocumentError):
        parse_document(raw, source="fuzz")


# --------------------------------------------------------------------------------------------------- files


def test_read_document_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        read_document(tmp_path / "missing.yaml")
    with pytest.raises(DocumentError, match="is a directory"):
        read_document(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_bytes(MINIMAL_YAML)
    monkeypatch.setattr(fetch, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(DocumentError, match="100-byte limit"):
        read_document(big)


@pytest.mark.parametrize(
    ("name", "operations", "version"),
    [("xapi-20.0.10.yaml", 601, "3.0.4"), ("xapi-20.0.9.yaml", 590, "3.0.4")],
)
def test_read_real_documents(name: str, operations: int, version: str) -> None:
    path = SPEC_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} not available")
    doc = read_document(path)
    assert doc.operation_count == operations
    assert doc.openapi_version == version
    assert doc.raw == path.read_bytes()
    assert doc.source == str(path)


# --------------------------------------------------------------------------------------------------- CLI


def test_main_writes_file_and_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.yaml"
    source.write_bytes(MINIMAL_YAML)
    out = tmp_path / "sub" / "out.yaml"

    assert main([str(source), "--out", str(out)]) == 0

    assert out.read_bytes() == MINIMAL_YAML
    assert [p.name for p in out.parent.iterdir()] == ["out.yaml"]  # no temp file left behind
    doc = parse_document(MINIMAL_YAML, source=str(source))
    captured = capsys.readouterr()
    assert captured.out == f"fetched {source}: OpenAPI 3.0.4, 5 operations, 2 schemas, sha256 {doc.sha256[:12]}\n"
    assert captured.err == ""


def test_main_fetches_from_url(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XAPI_CLIENT_ID", raising=False)
    monkeypatch.delenv("XAPI_CLIENT_SECRET", raising=False)
    server.serve_document()
    out = tmp_path / "out.yaml"

    assert main([server.url, "--out", str(out)]) == 0

    assert out.read_bytes() == MINIMAL_YAML
    assert capsys.readouterr().out.startswith(f"fetched {server.url}/xapi/v1/swagger.yaml: OpenAPI 3.0.4, 5 operations")


def test_main_reports_document_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.yaml"
    source.write_bytes(b"swagger: '2.0'\n")
    out = tmp_path / "out.yaml"

    assert main([str(source), "--out", str(out)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert "only OpenAPI 3.0.x" in captured.err
    assert not out.exists()


def test_main_reports_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.yaml"
    source.write_bytes(MINIMAL_YAML)
    out = tmp_path / "taken"
    out.mkdir()

    assert main([str(source), "--out", str(out)]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert {p.name for p in tmp_path.iterdir()} == {"in.yaml", "taken"}  # temp file cleaned up
