"""Fixtures for provisioning: a test server per test (in process; no port), an SDK client on it, and helpers
to read what reached the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from threecx_xapi import XAPI
from threecx_xapi.testing import RecordedRequest, XAPITestServer

WRITE_METHODS = ("POST", "PATCH", "DELETE", "PUT")


@pytest.fixture
def server() -> Iterator[XAPITestServer]:
    server = XAPITestServer()
    yield server
    server.close()


@pytest.fixture
def pbx(server: XAPITestServer) -> Iterator[XAPI]:
    with server.xapi() as client:
        yield client


def api_requests(server: XAPITestServer) -> list[RecordedRequest]:
    """Every request under /xapi/v1 (token requests left out), in the order the server received them."""
    return [r for r in server.requests if r.path.startswith("/xapi/v1/")]


def writes(server: XAPITestServer) -> list[RecordedRequest]:
    """The API requests that change something."""
    return [r for r in api_requests(server) if r.method in WRITE_METHODS]


def body(request: RecordedRequest) -> Any:
    return json.loads(request.body)


def user(server: XAPITestServer, number: str) -> dict[str, Any]:
    """The stored user with ``number`` (exactly one)."""
    found = [u for u in server.state.records("Users") if u.get("Number") == number]
    assert len(found) == 1, f"{len(found)} users with number {number}"
    return found[0]
