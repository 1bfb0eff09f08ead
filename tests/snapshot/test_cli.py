"""``threecx-xapi snapshot`` and ``snapshot diff`` in process against the loopback test server: files, stderr,
exit codes, live profiles, and bad input refused before anything is sent."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from threecx_xapi import XAPI, snapshot
from threecx_xapi.cli import _snapshot
from threecx_xapi.testing import XAPITestServer

from .conftest import all_but, expected_resources, invoke, read_json, server_env

OWNER_ONLY = [
    "Backups",
    "CallHistoryView",
    "ChatHistoryView",
    "ChatMessagesHistoryView",
    "OAuthClients",
    "Recordings",
    "RemoteArchivingSettings",
    "SecurityTokens",
    "ServicePrincipals",
]


def test_snapshot_writes_the_folder_and_says_what_it_read(server: XAPITestServer, tmp_path: Path) -> None:
    env = server_env(server, tmp_path / "config")
    result = invoke(["snapshot", "--output", str(tmp_path / "snap")], env)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    entities = sum(len(r) for r in (read_json(p) for p in (tmp_path / "snap").glob("*.json")) if isinstance(r, list))
    assert result.stderr == (
        f"snapshot of {server.url}/xapi/v1 (XAPI 20.0.10): 102 resources, {entities} entities, secrets blanked"
        f" -> {tmp_path / 'snap'}\n"
    )
    assert set(read_json(tmp_path / "snap" / "manifest.json")["resources"]) == set(expected_resources())


def test_denied_areas_are_listed_and_the_exit_code_is_0(server: XAPITestServer, tmp_path: Path) -> None:
    server.add_client("ops", "ops-secret-1", role="admin")
    env = {
        **server_env(server, tmp_path / "config"),
        "THREECX_XAPI_CLIENT_ID": "ops",
        "THREECX_XAPI_CLIENT_SECRET": "ops-secret-1",
    }
    result = invoke(["snapshot", "-o", str(tmp_path / "snap")], env)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1] == f"denied (403): {', '.join(OWNER_ONLY)}"
    assert sorted(read_json(tmp_path / "snap" / "manifest.json")["denied"]) == OWNER_ONLY


def test_when_nothing_can_be_read_the_exit_code_is_the_failure_s(server: XAPITestServer, tmp_path: Path) -> None:
    server.add_client("ops", "ops-secret-1", role="admin")
    env = {
        **server_env(server, tmp_path / "config"),
        "THREECX_XAPI_CLIENT_ID": "ops",
        "THREECX_XAPI_CLIENT_SECRET": "ops-secret-1",
    }
    exclude = [arg for name in expected_resources() if name not in OWNER_ONLY for arg in ("--exclude", name)]
    result = invoke(["snapshot", "-o", str(tmp_path / "snap"), *exclude], env)
    assert result.exit_code == 5
    assert result.stderr.startswith("error: GET /xapi/v1/Backups -> 403 Forbidden")
    assert not (tmp_path / "snap").exists()


def test_an_unreachable_pbx_exits_3(tmp_path: Path) -> None:
    server = XAPITestServer().start()
    env = server_env(server, tmp_path / "config")
    server.close()
    result = invoke(["--max-retries", "0", "snapshot", "-o", str(tmp_path / "snap")], env)
    assert result.exit_code == 3
    assert "Connection refused" in result.stderr or "ConnectError" in result.stderr
    assert not (tmp_path / "snap").exists()


def test_include_secrets_warns_and_says_so_in_the_manifest(server: XAPITestServer, tmp_path: Path) -> None:
    exclude = [arg for name in all_but("Users") for arg in ("--exclude", name)]
    env = server_env(server, tmp_path / "c")
    result = invoke(["snapshot", "-o", str(tmp_path / "snap"), "--include-secrets", *exclude], env)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        f"warning: {tmp_path / 'snap'} holds secrets (passwords, PINs, keys); it is readable by you only"
    )
    assert read_json(tmp_path / "snap" / "manifest.json")["secrets"] == "included"


def test_usage_errors_are_refused_before_anything_is_sent(server: XAPITestServer, tmp_path: Path) -> None:
    env = server_env(server, tmp_path / "config")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    empty = snapshot.Snapshot("http://pbx", None, "0", "2026-03-02T00:00:00Z", False, {}).write(tmp_path / "empty")
    server.requests.clear()
    cases = [
        (["snapshot"], "missing --output DIR"),
        (["snapshot", "-o", str(tmp_path / "full")], "is not empty: a snapshot goes to a new or empty folder"),
        (["snapshot", "-o", str(tmp_path / "s"), "--exclude", "Nope"], "no resource named 'Nope'"),
        (["snapshot", "-o", str(tmp_path / "s"), "--concurrency", "0"], "0 is not in the range x>=1"),
        (["snapshot", "-o", str(tmp_path / "s"), "diff", "a", "b"], "take a snapshot; not with 'diff'"),
        (["snapshot", "diff", str(tmp_path / "nope"), str(tmp_path)], "nope is not a snapshot folder (no such folder)"),
        (["snapshot", "diff", str(tmp_path), str(tmp_path)], f"{tmp_path} is not a snapshot folder (no manifest.json)"),
        (["snapshot", "diff", "profile:", str(tmp_path)], "'profile:': name the profile, profile:NAME"),
        (["snapshot", "diff", str(empty), "profile:missing"], "no profile 'missing'"),
        (["snapshot", "diff", "a", "b", "--format", "yaml"], "'yaml' is not one of 'markdown', 'json'"),
    ]
    for argv, message in cases:
        result = invoke(argv, env)
        assert result.exit_code == 2, (argv, result.output)
        assert message in result.stderr, (argv, result.stderr)
    assert len(server.requests) == 0
    assert not (tmp_path / "s").exists()


def test_diff_of_two_folders_markdown_json_and_exit_codes(server: XAPITestServer, pbx: XAPI, tmp_path: Path) -> None:
    env = server_env(server, tmp_path / "config")
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert invoke(["snapshot", "-o", a], env).exit_code == 0
    group = next(iter(pbx.groups.list_group(top=1)))
    pbx.groups.update_group(group.id, body={"Name": "Support"})
    assert invoke(["snapshot", "-o", b], env).exit_code == 0

    same = invoke(["snapshot", "diff", a, a], env)
    assert same.exit_code == 0 and "**No differences** in 102 resources compared.\n" in same.stdout
    markdown = invoke(["snapshot", "diff", a, b], env)
    assert markdown.exit_code == 10, markdown.output
    assert markdown.stdout.startswith("# Snapshot diff\n\n| | A | B |\n")
    assert (
        f'- `Id={group.id} (Number {group.number}, Name Support)`\n  - `Name`: `"{group.name}"` -> `"Support"`\n'
        in (markdown.stdout)
    )
    machine = invoke(["snapshot", "diff", a, b, "--format", "json", "--ignore", "Peers"], env)
    assert machine.exit_code == 10
    answer = json.loads(machine.stdout)
    assert answer["differences"] is True and answer["ignored"] == ["Peers"]
    assert [r["name"] for r in answer["resources"]] == ["Groups"]
    assert answer["resources"][0]["changed"] == [
        {"key": group.id, "fields": [{"kind": "changed", "path": "Name", "old": group.name, "new": "Support"}]}
    ]
    quiet = invoke(["snapshot", "diff", a, b, "-f", "json", "--ignore", "Peers", "--ignore", "Groups.Name"], env)
    assert quiet.exit_code == 0 and json.loads(quiet.stdout)["differences"] is False


def test_diff_against_a_live_profile(server: XAPITestServer, pbx: XAPI, tmp_path: Path) -> None:
    env = {**server_env(server, tmp_path / "config")}
    folder = str(tmp_path / "a")
    exclude = [arg for name in all_but("Users", "Peers", "Groups") for arg in ("--exclude", name)]
    assert invoke(["snapshot", "-o", folder, *exclude], env).exit_code == 0
    added = invoke(
        ["profile", "add", "office", "--url", server.url, "--client-id", server.client_id],
        {**env, "THREECX_XAPI_CLIENT_SECRET": server.client_secret},
    )
    assert added.exit_code == 0, added.output
    # the profile is the whole connection of its side: not the --url given for the command
    live = {**env, "THREECX_XAPI_URL": None, "THREECX_XAPI_CLIENT_ID": None, "THREECX_XAPI_CLIENT_SECRET": None}
    same = invoke(["--url", "http://127.0.0.1:9", "snapshot", "diff", folder, "profile:office", "-f", "json"], live)
    assert same.exit_code == 0, same.output
    answer = json.loads(same.stdout)
    assert answer["b"]["source"] == "profile:office" and answer["b"]["pbx"] == f"{server.url}/xapi/v1"
    assert answer["unchanged"] == ["Groups", "Peers", "Users"] and answer["only_in_b"] == []  # like with like
    created = pbx.users.create_user(body={"FirstName": "Grace"})
    changed = invoke(["snapshot", "diff", folder, "profile:office", "--ignore", "Peers"], live)
    assert changed.exit_code == 10
    assert f"- `Id={created.id} (Number {created.number}, FirstName Grace)`\n" in changed.stdout
    assert "| source | " + folder + " | profile:office |" in changed.stdout


def test_progress_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with _snapshot._progress("resources") as advance:
        assert advance is not None
        advance(1, 2, "Users")
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with _snapshot._progress("resources") as none:
        assert none is None


def test_the_command_is_listed_with_its_help() -> None:
    root = invoke(["--help"], {})
    assert "snapshot    Save the configuration to a folder; diff A B compares two" in root.stdout
    text = invoke(["snapshot", "--help"], {}).stdout
    assert "--output DIR" in text and "--include-secrets" in text and "diff" in text
    assert "Exit codes of snapshot diff: 0 no differences, 10 differences" in text
