"""Fixtures for the test server's own tests: a server per test and an httpx client on its ASGI app.

Most tests run in-process (``httpx.ASGITransport`` under :class:`SyncASGITransport`): no port, no thread per
request, milliseconds each. A handful start the real uvicorn server. The plugin's fixtures (``xapi_server``,
``xapi_client``) are imported here the way a user's conftest would enable them.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from threecx_xapi.testing import SyncASGITransport, XAPITestServer
from threecx_xapi.testing.pytest_plugin import pytest_configure, xapi_client, xapi_server

from .helpers import BASE, fetch_token

__all__ = ["pytest_configure", "xapi_client", "xapi_server"]


@pytest.fixture
def server() -> Iterator[XAPITestServer]:
    """A server that is not started: tests reach it through its ASGI app."""
    server = XAPITestServer()
    yield server
    server.close()


@pytest.fixture
def anon(server: XAPITestServer) -> Iterator[httpx.Client]:
    """An httpx client on the ASGI app, without a token."""
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        yield client


@pytest.fixture
def api(server: XAPITestServer, anon: httpx.Client) -> httpx.Client:
    """``anon`` holding a valid bearer token."""
    anon.headers["Authorization"] = f"Bearer {fetch_token(anon, server)}"
    return anon
