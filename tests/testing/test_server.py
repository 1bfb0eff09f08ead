"""The real server: uvicorn on a thread, started and stopped cleanly; the CLI; the pytest plugin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from threecx_xapi.testing import XAPITestServer

from .helpers import token_form

PYTHON = sys.executable


def test_start_serve_stop() -> None:
    server = XAPITestServer()
    started = time.perf_counter()
    server.start()
    assert time.perf_counter() - started < 2
    try:
        assert server.running
        assert server.url == f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=server.url) as client:
            token = client.post("/connect/token", data=token_form(server)).json()["access_token"]
            response = client.get("/xapi/v1/Users(1)", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
            assert response.headers["X-3CX-Version"] == "20.0.10"
    finally:
        stopping = time.perf_counter()
        server.stop()
        assert time.perf_counter() - stopping < 1.0
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.port}/xapi/v1/Users", timeout=1)
    server.stop()  # twice is fine


def test_stop_is_quick_with_a_request_in_flight() -> None:
    with XAPITestServer() as server:
        server.faults.set_latency(5, path="/slow")
        errors: list[BaseException] = []

        def slow() -> None:
            try:
                httpx.get(f"{server.url}/slow", timeout=10)
            except httpx.HTTPError as exc:
                errors.append(exc)

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.1)
        stopping = time.perf_counter()
        server.stop()
        assert time.perf_counter() - stopping < 1.0
        thread.join(timeout=5)


def test_a_started_server_cannot_start_twice() -> None:
    with XAPITestServer() as server, pytest.raises(RuntimeError):
        server.start()


def test_url_before_start() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = XAPITestServer().url


def test_dropped_connection_on_the_wire() -> None:
    with XAPITestServer() as server, httpx.Client(base_url=server.url) as client:
        client.headers["Authorization"] = (
            "Bearer " + client.post("/connect/token", data=token_form(server)).json()["access_token"]
        )
        server.faults.reset_next(path="/Users")
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/xapi/v1/Users")
        assert client.get("/xapi/v1/Users?$top=1").status_code == 200


def test_request_log_under_concurrency() -> None:
    with XAPITestServer() as server:
        with httpx.Client(base_url=server.url) as client:
            token = client.post("/connect/token", data=token_form(server)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def hammer() -> None:
            with httpx.Client(base_url=server.url, headers=headers) as client:
                for _ in range(10):
                    assert client.get("/xapi/v1/Groups").status_code == 200

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(server.requests.matching("/xapi/v1/Groups", method="GET")) == 40
        assert server.requests[0].path == "/connect/token"
        server.reset()
        assert len(server.requests) == 0


def test_fixtures_from_the_plugin(xapi_server: XAPITestServer) -> None:
    assert xapi_server.running


@pytest.mark.xapi_server(top_caps={"Users": 3}, seed=5)
def test_the_plugin_marker_configures_the_server(xapi_server: XAPITestServer) -> None:
    assert xapi_server.faults.top_caps == {"Users": 3}
    assert xapi_server.seed == 5


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_command_line_serves_until_interrupted(tmp_path: Path) -> None:
    document = tmp_path / "xapi.yaml"
    document.write_bytes(b"openapi: 3.0.4\n")
    process = subprocess.Popen(
        [
            *(PYTHON, "-m", "threecx_xapi.testing", "--port", "0", "--swagger", str(document), "--client-id", "cli"),
            *("--latency", "0.2", "--call-log-rows", "7", "--role", "admin", "--request-log-size", "10"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        credentials = process.stdout.readline()
        url = first.split(" at ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        assert "client_id=cli" in credentials and "client_secret=test-secret" in credentials
        started = time.perf_counter()
        assert httpx.get(f"{url}/xapi/v1/swagger.yaml").content == b"openapi: 3.0.4\n"
        assert time.perf_counter() - started >= 0.2  # --latency
        form = {"client_id": "cli", "client_secret": "test-secret", "grant_type": "client_credentials"}
        token = httpx.post(f"{url}/connect/token", files={k: (None, v) for k, v in form.items()}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert httpx.get(f"{url}/xapi/v1/Backups", headers=headers).status_code == 403  # --role admin
        assert httpx.get(f"{url}/xapi/v1/Users?$top=1", headers=headers).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def test_users_enable_the_plugin_with_pytest_plugins(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["threecx_xapi.testing.pytest_plugin"]\n')
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            def test_users(xapi_client):
                page = xapi_client.users.list_user(top=2)
                assert [u.number for u in page.items] == ["100", "101"]
            """
        )
    )
    result = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(),
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_command_line_options_are_checked() -> None:
    from threecx_xapi.testing.__main__ import _parser

    args = _parser().parse_args(["--latency", "0.5", "--call-log-rows", "250", "--max-body-size", "1000"])
    assert (args.latency, args.call_log_rows, args.max_body_size, args.role) == (0.5, 250, 1000, "system_owner")
    for bad in (["--latency", "-1"], ["--call-log-rows", "-2"], ["--request-log-size", "0"], ["--role", "root"]):
        with pytest.raises(SystemExit):
            _parser().parse_args(bad)
