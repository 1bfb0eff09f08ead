"""The README's "Many PBXs at once" examples run as written, with profiles ``office`` (a current PBX) and
``branch`` (an older build without ``ListUser``) saved in a temporary config folder."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi._profiles import ProfileStore

from .conftest import OLD_VERSION, PBXs
from .test_cli_fleet import run

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "Many PBXs at once"

pytestmark = pytest.mark.filterwarnings("ignore::threecx_xapi.XAPIVersionWarning")


def _blocks(language: str) -> list[str]:
    section = README.read_text("utf-8").split(f"## {HEADING}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


@pytest.fixture
def office_and_branch(tmp_path: Path, pbxs: PBXs, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    store = ProfileStore(folder)
    for name, server in (("office", pbxs.a), ("branch", pbxs.b)):
        store.add(name, url=server.url, client_id=server.client_id, client_secret=server.client_secret,
                  use_keyring=False, replace=False)  # fmt: skip
    monkeypatch.setenv("THREECX_XAPI_CONFIG_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def test_the_python_example(office_and_branch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = _blocks("python")
    namespace: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), namespace)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        f"branch {OLD_VERSION} failed: operation ListUser (GET /xapi/v1/Users?$top=1&$count=true) is not available"
    )
    assert lines[1:] == ["office 20.0.10 100"]
    assert namespace["users_by_pbx"] == {"office": 100}


def test_the_command_lines(pbxs: PBXs, office_and_branch: Path) -> None:
    (block,) = _blocks("bash")
    commands = [shlex.split(line.split("  #", 1)[0])[1:] for line in block.splitlines() if line.strip()]
    (office_and_branch.parent / "users.csv").write_text("Number,FirstName,EmailAddress\n7701,Ada,ada@example.com\n")
    results = [run(office_and_branch, *argv) for argv in commands]

    listed, status, groups, exported, doctored, snapped, calls, planned = results
    assert listed.exit_code == 6  # branch lacks ListUser
    rows = list(csv.reader(io.StringIO(listed.stdout)))
    assert rows[0] == ["pbx", "Id", "Number"] and {row[0] for row in rows[1:]} == {"office"} and len(rows) == 101
    assert "pbx branch: error: operation ListUser" in listed.stderr
    assert status.exit_code == 0, status.stderr
    versions = json.loads(status.stdout)
    assert [row["pbx"] for row in versions] == ["branch", "office"] and all("Version" in row for row in versions)
    assert groups.exit_code == 0, groups.stderr
    assert {row["pbx"] for row in json.loads(groups.stdout)} == {"branch", "office"}
    assert exported.exit_code == 0, exported.stderr
    assert (office_and_branch.parent / "extensions-office.csv").read_bytes().startswith(b"Id,Number,")
    assert (office_and_branch.parent / "extensions-branch.csv").is_file()
    assert doctored.exit_code == 1  # branch is an older build: its version check fails
    checks = {(row["pbx"], row["check"]): row["status"] for row in json.loads(doctored.stdout)}
    assert checks[("office", "access.users")] == "ok" and checks[("branch", "version")] == "fail"
    assert snapped.exit_code == 0, snapped.stderr  # branch's missing Users is recorded in its manifest, not fatal
    for name in ("office", "branch"):
        assert (office_and_branch.parent / "snapshots/2026-12-02" / name / "manifest.json").is_file()
    assert calls.exit_code == 0, calls.stderr
    assert (office_and_branch.parent / "calls-office.csv").is_file()
    assert (office_and_branch.parent / "calls-branch.csv").is_file()
    assert planned.exit_code == 6  # branch cannot list users (no ListUser) to plan against
    assert [(row["pbx"], row["action"]) for row in json.loads(planned.stdout)] == [("office", "create")]
