"""``threecx-xapi doctor`` in process (click's runner) against staged servers: the table, ``--format json``,
``--area``, exit codes by the first failure's class, and no secret or token in anything printed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import Result

from threecx_xapi.testing import XAPITestServer

from ..cli.conftest import invoke, server_env
from .conftest import ALL_CHECKS, JWT


def doctor(server: XAPITestServer, *argv: str, **env: str) -> Result:
    return invoke(["doctor", *argv], {**server_env(server), **env})


def as_json(result: Result) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def assert_nothing_secret(result: Result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.output
    assert not JWT.search(result.output)


def test_a_healthy_pbx_prints_a_table_and_exits_0(server: XAPITestServer) -> None:
    result = doctor(server)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"threecx-xapi doctor: {server.url}")
    lines = result.stdout.splitlines()
    rows = [line.split("│")[1:3] for line in lines if line.startswith("│") and line.split("│")[1].strip()]
    assert [(name.strip(), status.strip()) for name, status in rows] == [
        (name, "skip" if name == "tls" else "ok") for name in ALL_CHECKS
    ]
    assert lines[-1] == "0 failed, 0 warnings, 16 ok, 1 skipped; client id test-client"
    assert result.stderr == ""
    assert_nothing_secret(result, server.client_secret)


def test_json_is_the_reports_dict(server: XAPITestServer) -> None:
    result = doctor(server, "--format", "json")

    assert result.exit_code == 0
    report = as_json(result)
    assert set(report) == {"ok", "url", "client_id", "package_version", "xapi_version", "counts", "checks"}
    assert report["ok"] is True and report["url"] == server.url and report["xapi_version"] == "20.0.10"
    assert report["counts"] == {"ok": 16, "warn": 0, "fail": 0, "skip": 1}
    assert [check["name"] for check in report["checks"]] == ALL_CHECKS
    assert set(report["checks"][0]) == {"name", "status", "summary", "fix", "seconds", "details"}
    users = report["checks"][ALL_CHECKS.index("access.users")]
    assert users["details"] == {
        "area": "users",
        "label": "users",
        "operation": "ListUser",
        "method": "GET",
        "path": "/Users",
        "allowed": True,
        "status_code": 200,
    }


def test_a_lesser_role_exits_5_naming_the_denied_areas(server: XAPITestServer) -> None:
    server.add_client("ops", "s3cret-ops", role="admin")
    result = doctor(server, "--format", "json", THREECX_XAPI_CLIENT_ID="ops", THREECX_XAPI_CLIENT_SECRET="s3cret-ops")

    assert result.exit_code == 5
    assert result.stderr == "error: doctor: 4 of 17 checks failed, first access.call_history\n"
    denied = [check["name"] for check in as_json(result)["checks"] if check["details"].get("allowed") is False]
    assert denied == ["access.call_history", "access.recordings", "access.call_log", "access.backups"]
    assert {method for method, _ in ((r.method, r.path) for r in server.requests)} == {"GET", "POST"}
    assert_nothing_secret(result, "s3cret-ops")


def test_a_bad_secret_exits_4_and_never_prints_it(server: XAPITestServer) -> None:
    env = {**server_env(server), "THREECX_XAPI_CLIENT_SECRET": "wrong-s3cret-value"}
    result = invoke(["--debug", "doctor"], env)  # every request and response line on stderr too

    assert result.exit_code == 4
    assert "the PBX refused client id 'test-client' (401)" in result.stdout
    assert result.stderr.endswith("error: doctor: 1 of 17 checks failed, first token\n")
    assert "> POST http://127.0.0.1" in result.stderr and "< 401 Unauthorized" in result.stderr
    assert_nothing_secret(result, "wrong-s3cret-value", server.client_secret)


def test_a_closed_port_exits_3(closed_port: int, server: XAPITestServer) -> None:
    result = doctor(server, "--format", "json", THREECX_XAPI_URL=f"http://127.0.0.1:{closed_port}")

    assert result.exit_code == 3
    checks = as_json(result)["checks"]
    assert [(c["name"], c["status"]) for c in checks[:3]] == [("resolve", "ok"), ("connect", "fail"), ("tls", "skip")]
    assert checks[1]["summary"] == f"nothing listens on 127.0.0.1 port {closed_port} (connection refused)"


def test_another_xapi_version_exits_1() -> None:
    with XAPITestServer(version="20.0.11.7") as server:
        result = doctor(server, "--format", "json")

    assert result.exit_code == 1
    version = as_json(result)["checks"][ALL_CHECKS.index("version")]
    assert version["status"] == "fail"
    assert version["details"]["pbx_xapi_version"] == "20.0.11"


def test_areas_and_their_validation(server: XAPITestServer) -> None:
    result = doctor(server, "--format", "json", "--area", "users", "--area", "licence")
    assert result.exit_code == 0
    names = [check["name"] for check in as_json(result)["checks"]]
    assert [name for name in names if name.startswith("access.")] == ["access.users", "access.licence"]

    before = len(server.requests)
    bad = doctor(server, "--area", "phones")
    assert bad.exit_code == 2
    assert "'phones' is not one of 'users', 'groups'" in bad.stderr
    assert len(server.requests) == before


@pytest.mark.parametrize("argv", [["--timeout", "0.5"]])
def test_the_global_timeout_bounds_every_step(silent_port: int, server: XAPITestServer, argv: list[str]) -> None:
    env = {**server_env(server), "THREECX_XAPI_URL": f"http://127.0.0.1:{silent_port}"}
    result = invoke([*argv, "doctor", "--format", "json"], env)

    assert result.exit_code == 3
    api = as_json(result)["checks"][ALL_CHECKS.index("api")]
    assert api["summary"] == f"no HTTP answer from 127.0.0.1:{silent_port} in 0.5 s"


def test_debug_lines_show_no_token(server: XAPITestServer) -> None:
    result = invoke(["--debug", "doctor", "--area", "users"], server_env(server))

    assert result.exit_code == 0
    assert "> GET http://127.0.0.1" in result.stderr and "> authorization: Bearer ***" in result.stderr
    assert_nothing_secret(result, server.client_secret)
