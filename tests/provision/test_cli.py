"""``threecx-xapi provision``: plan and apply from a shell, the report file, --prune's confirmation, exit codes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from threecx_xapi.cli import _provision
from threecx_xapi.cli._app import cli
from threecx_xapi.testing import XAPITestServer

from .conftest import body, writes

ROWS = "Number,FirstName,group\n100,Ada,\n5000,Grace,Sales\n"


@pytest.fixture
def live() -> Iterator[XAPITestServer]:
    """A started server: the command line opens its own connection to a URL."""
    with XAPITestServer() as server:
        yield server


def run(server: XAPITestServer, *argv: str, stdin: str | None = None) -> Result:
    env = {
        "THREECX_XAPI_URL": server.url,
        "THREECX_XAPI_CLIENT_ID": server.client_id,
        "THREECX_XAPI_CLIENT_SECRET": server.client_secret,
        "THREECX_XAPI_TOKEN_STORE": "0",
        "THREECX_XAPI_PROFILE": None,
    }
    return CliRunner().invoke(cli, ["provision", *argv], env=env, input=stdin, catch_exceptions=False)


def users_file(tmp_path: Path, text: str = ROWS) -> str:
    path = tmp_path / "users.csv"
    path.write_text(text, "utf-8")
    return str(path)


def test_plan_prints_each_row_and_sends_nothing(live: XAPITestServer, tmp_path: Path) -> None:
    old = next(u["FirstName"] for u in live.state.records("Users") if u["Number"] == "100")
    result = run(live, "users", users_file(tmp_path), "--format", "json")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["counts"] == {"create": 1, "update": 1, "unchanged": 0, "conflict": 0, "delete": 0}
    assert [(e["row"], e["key"], e["action"], e["detail"]) for e in printed["entries"]] == [
        (1, "100", "update", f"FirstName: {old!r} -> 'Ada'"),
        (2, "5000", "create", "Number='5000', FirstName='Grace', Groups=Sales (users)"),
    ]
    assert result.stderr == "Users by Number: 1 create, 1 update, 0 unchanged, 0 conflict, 0 delete\n"
    assert writes(live) == []


def test_apply_writes_the_report_and_a_second_apply_changes_nothing(live: XAPITestServer, tmp_path: Path) -> None:
    path = users_file(tmp_path)
    report = tmp_path / "result.csv"
    result = run(live, "users", path, "--apply", "--report", str(report), "--format", "csv", "--concurrency", "1")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "row,key,action,status,error,hint",
        "1,100,update,ok,,",
        "2,5000,create,ok,,",
    ]
    with report.open(encoding="utf-8", newline="") as handle:
        assert [dict(r) for r in csv.DictReader(handle)] == [
            {"row": "1", "key": "100", "action": "update", "status": "ok", "error": "", "hint": ""},
            {"row": "2", "key": "5000", "action": "create", "status": "ok", "error": "", "hint": ""},
        ]
    assert f"wrote the report to {report}" in result.stderr
    assert [(r.method, body(r)) for r in writes(live)] == [
        ("PATCH", {"FirstName": "Ada"}),
        ("POST", {"Number": "5000", "FirstName": "Grace", "Groups": [{"GroupId": 2, "Rights": {"RoleName": "users"}}]}),
    ]

    again = run(live, "users", path, "--apply", "--format", "json")
    assert again.exit_code == 0, again.output
    assert [r["action"] for r in json.loads(again.stdout)["results"]] == ["unchanged", "unchanged"]
    assert len(writes(live)) == 2


def test_conflicts_and_failures_exit_7(live: XAPITestServer, tmp_path: Path) -> None:
    path = users_file(tmp_path, "Number,Enabled\n5000,perhaps\n5001,true\n")
    planned = run(live, "users", path, "--format", "json")
    assert planned.exit_code == 7
    assert planned.stderr.endswith("error: 1 row in conflict; see the plan\n")

    live.faults.fail_next(400, method="POST")
    applied = run(live, "users", path, "--apply", "--format", "json")
    assert applied.exit_code == 7
    results = json.loads(applied.stdout)["results"]
    assert [(r["row"], r["status"]) for r in results] == [(1, "skipped"), (2, "failed")]
    assert results[0]["error"] == "column Enabled: expected a boolean, got str 'perhaps'"
    assert applied.stderr.endswith("error: 1 row failed and 1 row skipped; see the report\n")


def test_stop_on_error_and_concurrency_reach_the_apply(live: XAPITestServer, tmp_path: Path) -> None:
    path = users_file(tmp_path, "Number\n5000\n5001\n5002\n")
    live.faults.fail_next(400, method="POST")
    result = run(live, "users", path, "--apply", "--stop-on-error", "--concurrency", "1", "--format", "json")

    assert result.exit_code == 7
    assert [r["status"] for r in json.loads(result.stdout)["results"]] == ["failed", "skipped", "skipped"]
    assert len(writes(live)) == 1


def test_prune_off_a_terminal_needs_yes(live: XAPITestServer, tmp_path: Path) -> None:
    numbers = [u["Number"] for u in live.state.records("Users")]
    path = users_file(tmp_path, "Number\n" + "\n".join(numbers[1:]) + "\n")

    refused = run(live, "users", path, "--apply", "--prune")
    assert refused.exit_code == 2
    assert "--prune would delete 1 Users that the file does not name; pass --yes to confirm" in refused.stderr
    assert writes(live) == []

    done = run(live, "users", path, "--apply", "--prune", "--yes", "--format", "json")
    assert done.exit_code == 0, done.output
    assert [(r.method, r.decoded_path) for r in writes(live)] == [("DELETE", "/xapi/v1/Users(1)")]


@pytest.mark.parametrize(("answer", "deleted"), [("n\n", 0), ("y\n", 1)])
def test_prune_at_a_terminal_asks_first(
    live: XAPITestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, deleted: int
) -> None:
    monkeypatch.setattr(_provision, "_interactive", lambda: True)
    numbers = [u["Number"] for u in live.state.records("Users")]
    path = users_file(tmp_path, "Number\n" + "\n".join(numbers[1:]) + "\n")
    result = run(live, "users", path, "--apply", "--prune", "--format", "json", stdin=answer)

    assert "Delete 1 Users that the file does not name (Number 100)? [y/N]" in result.stderr
    assert result.exit_code == (0 if deleted else 130)
    assert len([r for r in writes(live) if r.method == "DELETE"]) == deleted


def test_usage_errors_send_nothing(live: XAPITestServer, tmp_path: Path) -> None:
    path = users_file(tmp_path)
    cases = [
        (["users", path, "--report", "r.csv"], "--report is the outcome of --apply"),
        (["users", "-"], "reading rows from stdin needs --input-format"),
        (["users", str(tmp_path / "nope.csv")], "nope.csv: No such file or directory"),
        (["nothing", path], "'nothing' is not an entity set that can be provisioned"),
        (["users", path, "--key", "Nmber"], "--key 'Nmber' is not a field of User (did you mean 'Number'?)"),
    ]
    for argv, message in cases:
        result = run(live, *argv)
        assert result.exit_code == 2, (argv, result.output)
        assert message in result.stderr
    assert len(live.requests) == 0


def test_rows_from_stdin(live: XAPITestServer) -> None:
    result = run(live, "users", "-", "--input-format", "json", "--format", "json", stdin='[{"number": "100"}]')

    assert result.exit_code == 0, result.output
    assert [e["action"] for e in json.loads(result.stdout)["entries"]] == ["unchanged"]
