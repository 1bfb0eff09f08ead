"""Fixtures: a real test server on loopback, and the command line run in process or as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from threecx_xapi.cli._app import cli
from threecx_xapi.testing import XAPITestServer

__all__ = ["Shell"]


@pytest.fixture
def server() -> Iterator[XAPITestServer]:
    with XAPITestServer() as server:
        yield server


def server_env(server: XAPITestServer) -> dict[str, str]:
    return {
        "THREECX_XAPI_URL": server.url,
        "THREECX_XAPI_CLIENT_ID": server.client_id,
        "THREECX_XAPI_CLIENT_SECRET": server.client_secret,
    }


def invoke(argv: list[str], env: Mapping[str, str | None], stdin: str | None = None) -> Result:
    """The command line in this process (click's runner: its own stdin, stdout and stderr)."""
    return CliRunner().invoke(cli, argv, env=dict(env), input=stdin, catch_exceptions=False)


class Shell:
    """``threecx-xapi`` as a real process (``python -m threecx_xapi``), in a folder and environment of its own."""

    def __init__(self, folder: Path, env: Mapping[str, str]) -> None:
        self.folder = folder
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("THREECX_XAPI_") and key not in ("COLUMNS", "LINES")
        }
        self.env["THREECX_XAPI_CONFIG_DIR"] = str(folder / "config")
        self.env.update(env)

    def __call__(
        self, *argv: str, stdin: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "threecx_xapi", *argv],
            cwd=self.folder,
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def binary(self, *argv: str) -> subprocess.CompletedProcess[bytes]:
        """Like calling the shell, with stdout and stderr as bytes (downloads to ``-o -``)."""
        return subprocess.run(
            [sys.executable, "-m", "threecx_xapi", *argv],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    """A shell without a server (profiles, usage errors, dry runs)."""
    return Shell(tmp_path, {})


@pytest.fixture
def pbx_shell(tmp_path: Path, server: XAPITestServer) -> Shell:
    """A shell whose environment points at the running test server."""
    return Shell(tmp_path, server_env(server))
