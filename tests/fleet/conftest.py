"""Three PBXs on loopback for fleet tests: ``a`` current, ``b`` an older build lacking ``ListUser``, ``c`` down.

Each is a real ``XAPITestServer`` on 127.0.0.1; ``c`` was started and stopped, so its port refuses connections.
``profiles`` saves the three as profiles in a temporary config folder, the way ``threecx-xapi profile add`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from threecx_xapi._profiles import ProfileStore
from threecx_xapi._token_cache import forget_all
from threecx_xapi._version import _reset_warning_state
from threecx_xapi.testing import XAPITestServer

OLD_VERSION = "20.0.8.100"


@dataclass
class PBXs:
    a: XAPITestServer
    b: XAPITestServer
    c_url: str  # stopped: connections are refused

    def reset(self) -> None:
        self.a.reset()
        self.b.reset()


@pytest.fixture(scope="module")
def running() -> Iterator[PBXs]:
    with XAPITestServer() as a, XAPITestServer(version=OLD_VERSION, missing_operations={"ListUser"}) as b:
        c = XAPITestServer().start()
        c_url = c.url
        c.close()
        yield PBXs(a, b, c_url)


@pytest.fixture
def pbxs(running: PBXs) -> Iterator[PBXs]:
    """The three PBXs with fresh state, request logs and tokens (each test starts from the seed)."""
    running.reset()
    forget_all()
    _reset_warning_state()
    yield running
    forget_all()


@pytest.fixture
def config(tmp_path: Path, pbxs: PBXs) -> Path:
    """A config folder with profiles a, b and c (the secret in the file, as ``profile add`` keeps it)."""
    folder = tmp_path / "config"
    store = ProfileStore(folder)
    for name, url in (("a", pbxs.a.url), ("b", pbxs.b.url), ("c", pbxs.c_url)):
        store.add(name, url=url, client_id=pbxs.a.client_id, client_secret=pbxs.a.client_secret,
                  use_keyring=False, replace=False)  # fmt: skip
    return folder
