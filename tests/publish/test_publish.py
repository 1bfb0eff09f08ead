"""make publish without an index: refusals, where credentials go, and how an index's answers are read.

The real upload (pypiserver on loopback, twine, a fresh venv installing from it) is ``make test-publish``;
these are the cheap parts, and the one property that is easy to break silently: credentials reach twine
through its environment only, never its command line, and never appear in anything printed.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tools import publish
from tools.publish import AlreadyPublished, PublishRefused, UploadFailed

PASSWORD = "pa55-w0rd-very-secret"
URL = "http://127.0.0.1:8080/"


def env(**values: str) -> dict[str, str]:
    return {f"XAPI_INDEX_{key.upper()}": value for key, value in values.items()}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "threecx_xapi-20.0.10.1-py3-none-any.whl").write_bytes(b"wheel")
    (out / "threecx_xapi-20.0.10.1.tar.gz").write_bytes(b"sdist")
    (tmp_path / "dist.sha256").write_text("")  # beside dist/, as make build writes it
    return out


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "XAPI_INDEX_URL is not set"),
        (env(url="  "), "XAPI_INDEX_URL is not set"),
        (env(url=URL), "no credentials for http://127.0.0.1:8080/: set XAPI_INDEX_USERNAME and XAPI_INDEX_PASSWORD"),
        (env(url=URL, username="ci"), "XAPI_INDEX_PASSWORD is not set"),
        (env(url=URL, password=PASSWORD), "XAPI_INDEX_USERNAME is not set"),
        (env(url=URL, token=PASSWORD, username="ci"), "either XAPI_INDEX_TOKEN or"),
        (env(url="ftp://index.example.com/", token=PASSWORD), "is not an http(s) URL"),
        (env(url=f"https://ci:{PASSWORD}@index.example.com/", token="t"), "has credentials in it"),
        (env(url="http://index.example.com/", token=PASSWORD), "plain http to index.example.com"),
        (
            env(url=URL, simple_url="http://mirror.example.com/simple/", token=PASSWORD),
            "XAPI_INDEX_SIMPLE_URL is plain",
        ),
    ],
)
def test_refusals(environment: dict[str, str], message: str) -> None:
    with pytest.raises(PublishRefused) as refused:
        publish.config_from_env(environment)
    assert message in str(refused.value)
    assert PASSWORD not in str(refused.value)
    assert refused.value.exit_code == 2


def test_accepted_configurations() -> None:
    config = publish.config_from_env(env(url="http://127.0.0.1:8080", username="ci", password=PASSWORD))
    assert (config.upload_url, config.simple_url) == (URL, URL + "simple/")
    assert PASSWORD not in repr(config) and "ci" not in repr(config).replace("credential_source", "")

    token = publish.config_from_env(env(url="https://index.example.com/repo/", token=PASSWORD))
    assert (token.username, token.password) == ("__token__", PASSWORD)
    assert token.simple_url == "https://index.example.com/repo/simple/"
    assert token.secrets() == (PASSWORD,)

    separate = publish.config_from_env(
        env(url="https://up.example.com/legacy/", simple_url="https://pkgs.example.com/simple", token=PASSWORD)
    )
    assert separate.simple_url == "https://pkgs.example.com/simple/"

    allowed = env(url="http://index.internal/", token=PASSWORD, allow_http="1")
    assert publish.config_from_env(allowed).upload_url == "http://index.internal/"
    assert publish.config_from_env(env(url="http://localhost:1234", token=PASSWORD)).upload_url


def test_dist_refusals(tmp_path: Path, dist: Path) -> None:
    with pytest.raises(PublishRefused, match="has no threecx-xapi wheel or sdist: run `make build` first"):
        publish.dist_artifacts(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PublishRefused, match="run `make build` first"):
        publish.dist_artifacts(tmp_path / "empty")
    assert publish.dist_artifacts(dist) == ("20.0.10.1", sorted(dist.iterdir()))
    (dist / "threecx_xapi-20.0.10.0.tar.gz").write_bytes(b"old")
    with pytest.raises(PublishRefused, match=r"several versions \(20.0.10.0, 20.0.10.1\)"):
        publish.dist_artifacts(dist)


def test_main_prints_the_refusal_and_exits_2(capsys: pytest.CaptureFixture[str], dist: Path) -> None:
    assert publish.main(["--dist", str(dist)], env=env(url=URL, password=PASSWORD)) == 2
    captured = capsys.readouterr()
    assert "error: XAPI_INDEX_USERNAME is not set" in captured.err
    assert PASSWORD not in captured.out + captured.err


def test_credentials_go_through_the_environment_only(monkeypatch: pytest.MonkeyPatch, dist: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen["cmd"], seen["env"] = cmd, kwargs["env"]
        output = f"Uploading distributions to {URL}\nINFO     username: ci\nINFO     password: <hidden>\nUploading x\n"
        return subprocess.CompletedProcess(cmd, 0, output, None)

    monkeypatch.setattr("tools.publish.subprocess.run", fake_run)
    monkeypatch.setenv("TWINE_REPOSITORY_URL", "https://upload.pypi.org/legacy/")  # must not leak in
    lines: list[str] = []
    version = publish.publish(dist, env(url=URL, username="ci", password=PASSWORD), precheck=False, log=lines.append)
    assert version == "20.0.10.1"
    assert not any(PASSWORD in part or part == "ci" for part in seen["cmd"])
    assert {"-u", "-p", "--username", "--password"}.isdisjoint(seen["cmd"])
    assert seen["env"]["TWINE_USERNAME"] == "ci" and seen["env"]["TWINE_PASSWORD"] == PASSWORD
    assert "TWINE_REPOSITORY_URL" not in seen["env"]
    assert seen["cmd"][seen["cmd"].index("--repository-url") + 1] == URL
    assert not any("username" in line or PASSWORD in line for line in lines)


def test_scrub() -> None:
    text = f"INFO     username: ci-user\nINFO     password: <hidden>\nError for ci-user using {PASSWORD}\nok"
    cleaned = publish.scrub(text, ("ci-user", PASSWORD))
    assert cleaned == "Error for *** using ***\nok"
    assert publish.scrub("ab is in abc", ("ab",)) == "*** is in abc"


PYPISERVER_400 = """Uploading threecx_xapi-20.0.10.1-py3-none-any.whl
INFO     Response from http://127.0.0.1:8080/:
         400 Bad Request
             <pre>Package
         &#039;threecx_xapi-20.0.10.1-py3-none-any.whl&#039; already
         exists!
           You may start server with `--overwrite` option.</pre>
ERROR    HTTPError: 400 Bad Request from http://127.0.0.1:8080/
"""


@pytest.mark.parametrize(
    ("output", "kind", "message"),
    [
        (PYPISERVER_400, AlreadyPublished, "threecx-xapi 20.0.10.1 is already on http://127.0.0.1:8080/; bump the"),
        ("ERROR    HTTPError: 409 Conflict from https://devpi/", AlreadyPublished, "bump the version"),
        ("HTTPError: 400 Bad Request ... File already exists.", AlreadyPublished, "bump the version"),
        ("HTTPError: 400 Repository does not allow updating assets", AlreadyPublished, "bump the version"),
        ("ERROR    HTTPError: 403 Forbidden from http://127.0.0.1:8080/", UploadFailed, "refused the credentials"),
        ("ERROR    HTTPError: 401 Unauthorized", UploadFailed, "(HTTP 401)"),
        ("ERROR    HTTPError: 500 Internal Server Error", UploadFailed, "failed (HTTP 500)"),
        ("ConnectionError: refused", UploadFailed, "ConnectionError: refused"),
    ],
)
def test_interpret_twine_failure(output: str, kind: type[Exception], message: str) -> None:
    error = publish.interpret_twine_failure(output, version="20.0.10.1", index=URL)
    assert type(error) is kind
    assert message in str(error)


# --- the simple-page check against a real HTTP server on loopback -------------------------------------------------


class _Index(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], str]] = {}  # noqa: RUF012 - set per test
    auth_seen: list[str | None] = []  # noqa: RUF012

    def do_GET(self) -> None:
        self.auth_seen.append(self.headers.get("Authorization"))
        status, headers, body = self.routes.get(self.path, (404, {}, "not found"))
        if status == 401 and self.headers.get("Authorization"):
            status, headers, body = self.routes[self.path + "#authorized"]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        data = body.encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Index.auth_seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


PAGE = (
    '<a href="/packages/threecx_xapi-20.0.10.1-py3-none-any.whl#sha256=ab">w</a>'
    '<a href="../../packages/threecx_xapi-20.0.10.1.tar.gz">s</a>'
)


def test_published_files(index: str, dist: Path) -> None:
    config = publish.config_from_env(env(url=index, username="ci", password=PASSWORD))
    _Index.routes = {}
    assert publish.published_files(config) == set()  # 404: not there

    _Index.routes = {
        "/simple/threecx-xapi/": (301, {"Location": "/simple/threecx_xapi/"}, ""),
        "/simple/threecx_xapi/": (200, {"Content-Type": "text/html"}, PAGE),
    }
    files = {"threecx_xapi-20.0.10.1-py3-none-any.whl", "threecx_xapi-20.0.10.1.tar.gz"}
    _Index.auth_seen = []
    assert publish.published_files(config) == files
    assert _Index.auth_seen == [None, None], "credentials sent without being asked for"
    with pytest.raises(AlreadyPublished, match=r"threecx-xapi 20.0.10.1 is already on .*; bump the version"):
        publish.publish(dist, env(url=index, username="ci", password=PASSWORD), log=lambda line: None)

    _Index.routes = {"/simple/threecx-xapi/": (302, {"Location": "https://pypi.org/simple/threecx-xapi/"}, "")}
    assert publish.published_files(config) == set(), "a redirect to another index says nothing about ours"

    _Index.routes = {
        "/simple/threecx-xapi/": (401, {"WWW-Authenticate": 'Basic realm="x"'}, ""),
        "/simple/threecx-xapi/#authorized": (200, {}, PAGE),
    }
    assert publish.published_files(config) == files
    assert _Index.auth_seen[-2] is None and (_Index.auth_seen[-1] or "").startswith("Basic ")

    _Index.routes = {"/simple/threecx-xapi/": (500, {}, "")}
    assert publish.published_files(config) is None
