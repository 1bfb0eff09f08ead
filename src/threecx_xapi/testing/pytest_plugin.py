"""pytest fixtures for code that talks to a 3CX PBX.

Enable with ``pytest_plugins = ["threecx_xapi.testing.pytest_plugin"]`` in a ``conftest.py``.

* ``xapi_server``: a started :class:`~threecx_xapi.testing.XAPITestServer`, one per test (fresh state).
* ``xapi_client``: an :class:`~threecx_xapi.XAPI` pointed at it, with its credentials.

Configure the server of one test with a marker, e.g. ``@pytest.mark.xapi_server(top_caps={"Users": 10}, seed=7)``;
the marker takes the keyword arguments of ``XAPITestServer``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from threecx_xapi import XAPI

from ._server import XAPITestServer

__all__ = ["pytest_configure", "xapi_client", "xapi_server"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "xapi_server(**options): keyword arguments for the XAPITestServer of the xapi_server fixture"
    )


@pytest.fixture
def xapi_server(request: pytest.FixtureRequest) -> Iterator[XAPITestServer]:
    """A running test server on a free loopback port, stopped after the test."""
    marker = request.node.get_closest_marker("xapi_server")
    options = dict(marker.kwargs) if marker is not None else {}
    with XAPITestServer(**options) as server:
        yield server


@pytest.fixture
def xapi_client(xapi_server: XAPITestServer) -> Iterator[XAPI]:
    """An ``XAPI`` client for ``xapi_server``, closed after the test."""
    with XAPI(xapi_server.url, client_id=xapi_server.client_id, client_secret=xapi_server.client_secret) as client:
        yield client
