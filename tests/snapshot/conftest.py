"""Fixtures: a loopback test server, a client for it, the command line in process, and the registry's own
answer to "what should a snapshot read", computed here from ``registry.json`` independently of the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from threecx_xapi import XAPI
from threecx_xapi.cli._app import cli
from threecx_xapi.testing import XAPITestServer


def registry_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(files("threecx_xapi_client").joinpath("registry.json").read_text())[
        "operations"
    ]
    return records


def expected_resources() -> dict[str, dict[str, Any]]:
    """Path without its slash -> record, for every GET of an entity set or singleton (no ``(`` in its path) that
    needs no parameter but OData options and answers JSON."""
    out = {}
    for record in registry_records():
        needs = [p for p in record["parameters"] if p.get("required") and p["kind"] != "odata-option"]
        response = record["response"]
        if (
            record["method"] == "GET"
            and "(" not in record["path"]
            and not needs
            and not response["file"]
            and (response["collection_item"] or response["model"])
        ):
            out[record["path"][1:]] = record
    return out


def all_but(*names: str) -> list[str]:
    """``exclude=`` for a snapshot of ``names`` only (a fast test that needs no more)."""
    return [name for name in expected_resources() if name not in names]


@pytest.fixture
def server() -> Iterator[XAPITestServer]:
    with XAPITestServer() as server:
        yield server


@pytest.fixture
def pbx(server: XAPITestServer) -> Iterator[XAPI]:
    with server.xapi() as client:
        yield client


def server_env(server: XAPITestServer, config: Path) -> dict[str, str | None]:
    return {
        "THREECX_XAPI_URL": server.url,
        "THREECX_XAPI_CLIENT_ID": server.client_id,
        "THREECX_XAPI_CLIENT_SECRET": server.client_secret,
        "THREECX_XAPI_TOKEN_STORE": "0",
        "THREECX_XAPI_CONFIG_DIR": str(config),
        "THREECX_XAPI_PROFILE": None,
    }


def invoke(argv: list[str], env: Mapping[str, str | None]) -> Result:
    """The command line in this process, stdout and stderr apart."""
    return CliRunner().invoke(cli, argv, env=dict(env), catch_exceptions=False)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
