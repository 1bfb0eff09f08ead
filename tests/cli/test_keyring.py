"""``profile add --keyring``: the secret goes to the OS keyring and the file only says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from threecx_xapi.cli._profiles import KEYRING_SERVICE

from .conftest import invoke


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.saved[(service, username)]


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_secret_in_the_keyring_not_in_the_file(tmp_path: Path, memory: MemoryKeyring) -> None:
    env = {"THREECX_XAPI_CONFIG_DIR": str(tmp_path), "THREECX_XAPI_CLIENT_SECRET": "k3yring-secret"}
    added = invoke(["profile", "add", "pbx", "--url", "https://pbx.example.com", "--client-id", "id", "--keyring"], env)
    assert added.exit_code == 0, added.stderr
    assert memory.saved == {(KEYRING_SERVICE, "pbx"): "k3yring-secret"}
    text = (tmp_path / "profiles.json").read_text()
    assert "k3yring-secret" not in text
    assert json.loads(text)["profiles"]["pbx"]["secret_store"] == "keyring"
    shown = invoke(["profile", "show", "pbx"], {"THREECX_XAPI_CONFIG_DIR": str(tmp_path)})
    assert "client_secret: stored in the OS keyring" in shown.stdout
    assert "k3yring-secret" not in shown.stdout + shown.stderr
    removed = invoke(["profile", "remove", "pbx"], {"THREECX_XAPI_CONFIG_DIR": str(tmp_path)})
    assert removed.exit_code == 0 and memory.saved == {}
