"""Fixtures for the doctor: test servers with a failure staged each, certificates made with trustme, a closed port.

Every server is a real loopback XAPITestServer; the TLS ones serve HTTPS with a certificate from a test CA
(trustme), so expiry, host name and trust are checked by the real ssl module.
"""

from __future__ import annotations

import datetime
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from threecx_xapi._token_cache import forget_all
from threecx_xapi.testing import XAPITestServer

CHECK_ORDER = ["resolve", "connect", "tls", "api", "token", "clock", "version"]
ACCESS = [
    "access.users",
    "access.groups",
    "access.queues",
    "access.call_history",
    "access.recordings",
    "access.call_log",
    "access.system_status",
    "access.backups",
    "access.licence",
]
ALL_CHECKS = [*CHECK_ORDER, *ACCESS, "token-kept"]
OWNER_AREAS = {"call_history", "recordings", "call_log", "backups"}
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    """Each test fetches its own tokens: none held over from another test's server."""
    forget_all()
    yield
    forget_all()


@pytest.fixture
def server() -> Iterator[XAPITestServer]:
    with XAPITestServer() as server:
        yield server


@pytest.fixture
def closed_port() -> int:
    """A port that was bound on 127.0.0.1 and then closed: nothing listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) but never answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


TLSServer = Callable[..., XAPITestServer]


@pytest.fixture
def tls_server(ca: trustme.CA, tmp_path: Path) -> Iterator[TLSServer]:
    """``tls_server("127.0.0.1", valid_days=365)``: a started HTTPS test server with a certificate for those names."""
    started: list[XAPITestServer] = []

    def start(*names: str, valid_days: float = 365, expired: bool = False) -> XAPITestServer:
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            not_before, not_after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
        else:
            not_before, not_after = now - datetime.timedelta(days=1), now + datetime.timedelta(days=valid_days)
        cert = ca.issue_cert(*(names or ("127.0.0.1",)), not_before=not_before, not_after=not_after)
        path = tmp_path / f"server-{len(started)}.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(str(path))
        server = XAPITestServer(ssl_certfile=path).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
