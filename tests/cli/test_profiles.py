"""Profiles as a user meets them: added, listed, shown without the secret, used, removed; the file owner-only."""

from __future__ import annotations

import json
import os
import pty
import stat
import sys

import pytest

from threecx_xapi.cli._profiles import ProfileStore
from threecx_xapi.testing import XAPITestServer

from .conftest import Shell


def test_profile_round_trip(shell: Shell, server: XAPITestServer) -> None:
    secret = server.client_secret
    added = shell("profile", "add", "office", "--url", server.url, "--client-id", server.client_id,
                  env={"THREECX_XAPI_CLIENT_SECRET": secret})  # fmt: skip
    assert added.returncode == 0, added.stderr
    path = shell.folder / "config" / "profiles.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["profiles"]["office"]["client_secret"] == secret

    listed = shell("profile", "list")
    assert listed.stdout == f"office\t{server.url}\t{server.client_id}\n"
    shown = shell("profile", "show", "office")
    assert shown.stdout.splitlines() == [
        "name: office",
        f"url: {server.url}",
        f"client_id: {server.client_id}",
        "client_secret: stored in the profiles file",
    ]

    used = shell("--profile", "office", "users", "get-user", "--id", "1", "--select", "Number", "-f", "json")
    assert used.returncode == 0, used.stderr
    assert json.loads(used.stdout) == {"Number": "100"}
    by_env = shell(
        "users", "get-user", "--id", "1", "--select", "Number", "-f", "json", env={"THREECX_XAPI_PROFILE": "office"}
    )
    assert json.loads(by_env.stdout) == {"Number": "100"}

    for done in (added, listed, shown, used, by_env):
        assert secret not in done.stdout + done.stderr

    again = shell("profile", "add", "office", "--url", server.url, "--client-id", "x", "--client-secret", "y")
    assert again.returncode == 2 and "--replace" in again.stderr
    removed = shell("profile", "remove", "office")
    assert removed.returncode == 0
    assert shell("profile", "list").stdout == ""
    gone = shell("--profile", "office", "users", "get-user", "--id", "1")
    assert gone.returncode == 2 and "no profile 'office'" in gone.stderr


def test_a_profile_file_others_can_read_is_refused(shell: Shell) -> None:
    assert shell("profile", "add", "pbx", "--url", "https://pbx.example.com", "--client-id", "id",
                 env={"THREECX_XAPI_CLIENT_SECRET": "s"}).returncode == 0  # fmt: skip
    path = shell.folder / "config" / "profiles.json"
    os.chmod(path, 0o644)
    done = shell("profile", "list")
    assert done.returncode == 2
    assert "can be read by other users" in done.stderr and "chmod 600" in done.stderr


def test_add_without_a_secret_off_a_terminal_says_how(shell: Shell) -> None:
    done = shell("profile", "add", "pbx", "--url", "https://pbx.example.com", "--client-id", "id", stdin="")
    assert done.returncode == 2
    assert "THREECX_XAPI_CLIENT_SECRET" in done.stderr
    assert not (shell.folder / "config" / "profiles.json").exists()


def test_flags_win_over_the_profile_and_the_profile_over_the_environment(shell: Shell) -> None:
    assert shell("profile", "add", "pbx", "--url", "https://profile.example.com", "--client-id", "id",
                 env={"THREECX_XAPI_CLIENT_SECRET": "s"}).returncode == 0  # fmt: skip
    env = {"THREECX_XAPI_PROFILE": "pbx", "THREECX_XAPI_URL": "https://env.example.com"}
    from_profile = shell("users", "get-user", "--id", "1", "--dry-run", env=env)
    assert from_profile.stdout.splitlines()[0] == "GET https://profile.example.com/xapi/v1/Users(1)"
    from_flag = shell("--url", "https://flag.example.com", "users", "get-user", "--id", "1", "--dry-run", env=env)
    assert from_flag.stdout.splitlines()[0] == "GET https://flag.example.com/xapi/v1/Users(1)"


def test_store_rejects_odd_names(tmp_path: pytest.TempPathFactory) -> None:
    store = ProfileStore(tmp_path)  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"profile name '\.\./x'"):
        store.add("../x", url="https://pbx", client_id="i", client_secret="s", use_keyring=False, replace=False)
    assert (
        repr(
            store.add("ok", url="https://pbx", client_id="i", client_secret="s3", use_keyring=False, replace=False)
        ).count("s3")
        == 0
    )


def test_add_prompts_for_the_secret_on_a_terminal_without_echo(shell: Shell) -> None:
    """On a terminal, the secret is asked for with a hidden prompt: saved, and never shown on the screen."""
    argv = [sys.executable, "-m", "threecx_xapi", "profile", "add", "pbx", "--url", "https://pbx.example.com",
            "--client-id", "id"]  # fmt: skip
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal
        os.chdir(shell.folder)
        os.execve(sys.executable, argv, shell.env)
    screen = b""
    try:
        while b"Client secret" not in screen:
            screen += os.read(terminal, 1024)
        os.write(terminal, b"typed-s3cret\n")
        while True:
            try:
                chunk = os.read(terminal, 1024)
            except OSError:  # the child exited and closed the terminal
                break
            if not chunk:
                break
            screen += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, screen
    assert b"typed-s3cret" not in screen
    saved = json.loads((shell.folder / "config" / "profiles.json").read_text())
    assert saved["profiles"]["pbx"]["client_secret"] == "typed-s3cret"
