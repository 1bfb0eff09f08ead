"""One token per principal, across instances, event loops and processes; token failures shared, retried when
transient and classified by status. Against the loopback XAPI test server or a scripted PBX on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from threecx_xapi import (
    XAPI,
    AsyncXAPI,
    AuthenticationError,
    FileTokenStore,
    InternalServerError,
    RateLimitError,
    XAPIError,
)
from threecx_xapi._credentials import ClientCredentials
from threecx_xapi._token_cache import forget_all
from threecx_xapi.testing import XAPITestServer

from .scripted import CLIENT_ID, SECRET, Received, Reply, ScriptedPBX

N = 20


@pytest.fixture(scope="module")
def server() -> Iterator[XAPITestServer]:
    with XAPITestServer() as running:
        yield running


def token_requests(server: XAPITestServer) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/connect/token"))


def api_requests(server: XAPITestServer) -> int:
    """API requests received: one per call unless a 401 made the client replay one."""
    return sum(1 for r in server.requests if not r.path.endswith("/connect/token"))


# -- one token per principal in a process -------------------------------------------------------------------


def test_instances_copies_and_async_clients_share_one_token(server: XAPITestServer) -> None:
    server.reset()
    first = XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret)
    second = XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret)
    copy = first.with_options(timeout=20)
    for _ in range(3):
        for pbx in (first, second, copy):
            pbx.users.list_user(top=1)

    async def main() -> None:
        async with AsyncXAPI(server.url, client_id=server.client_id, client_secret=server.client_secret) as apbx:
            await asyncio.gather(*(apbx.users.list_user(top=1) for _ in range(5)))

    asyncio.run(main())
    first.close()
    second.close()
    assert token_requests(server) == 1
    assert api_requests(server) == 14  # no 401, no replay: nobody revoked anybody


def test_concurrent_instances_make_one_token_request(server: XAPITestServer) -> None:
    server.reset()
    clients = [XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret) for _ in range(4)]
    barrier = threading.Barrier(N)

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        clients[i % 4].users.list_user(top=1)

    with ThreadPoolExecutor(N) as pool:
        list(pool.map(call, range(N)))
    assert token_requests(server) == 1
    assert api_requests(server) == N


def test_a_wrong_secret_never_borrows_the_token_of_the_right_one(server: XAPITestServer) -> None:
    server.reset()
    XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret).users.list_user(top=1)
    wrong = XAPI(server.url, client_id=server.client_id, client_secret="not-the-secret", max_retries=0)
    with pytest.raises(AuthenticationError):
        wrong.users.list_user(top=1)
    assert token_requests(server) == 2


def test_async_xapi_works_across_event_loops(server: XAPITestServer) -> None:
    server.reset()
    pbx = AsyncXAPI(server.url, client_id=server.client_id, client_secret=server.client_secret)

    async def once() -> int:
        return len((await pbx.users.list_user(top=2)).items)

    assert asyncio.run(once()) == 2
    assert asyncio.run(once()) == 2  # a second loop: no "Event loop is closed"
    assert asyncio.run(once()) == 2

    async def close() -> None:
        await pbx.close()

    asyncio.run(close())
    assert token_requests(server) == 1


# -- when the token endpoint fails --------------------------------------------------------------------------


def test_waiting_callers_fail_together_from_one_attempt() -> None:
    release = threading.Event()

    def slow_refusal(request: Received) -> Reply:
        release.wait(5)
        return Reply.json(400, {"error": "invalid_client", "error_description": "unknown client"})

    with ScriptedPBX(token=slow_refusal) as pbx:
        clients = [XAPI(pbx.url, client_id=CLIENT_ID, client_secret=SECRET) for _ in range(2)]
        barrier = threading.Barrier(N + 1)

        def call(i: int) -> BaseException | None:
            barrier.wait(timeout=10)
            try:
                clients[i % 2].users.list_user()
            except XAPIError as error:
                return error
            return None

        with ThreadPoolExecutor(N) as pool:
            futures = [pool.submit(call, i) for i in range(N)]
            barrier.wait(timeout=10)
            time.sleep(0.2)  # let every caller reach the cache before the one attempt lands
            started = time.monotonic()
            release.set()
            errors = [f.result(timeout=10) for f in futures]
            elapsed = time.monotonic() - started
    assert len(pbx.token_requests) == 1
    assert all(isinstance(e, AuthenticationError) for e in errors)
    assert len({str(e) for e in errors}) == 1
    assert elapsed < 3.0  # together, not one after another


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_transient_token_failures_are_retried(status: int) -> None:
    answers = [Reply.json(status, {"error": "busy"}, **{"Retry-After": "0"})]

    def flaky(request: Received) -> Reply:
        return answers.pop() if answers else pbx.issue(request)

    with ScriptedPBX(token=flaky) as pbx:
        assert list(XAPI(pbx.url, client_id=CLIENT_ID, client_secret=SECRET).users.list_user()) == []
    assert len(pbx.token_requests) == 2
    assert len(pbx.api_requests) == 1


def test_token_connect_errors_are_retried_and_name_host_and_port() -> None:
    from .scripted import closed_port

    port = closed_port()
    started = time.monotonic()
    with pytest.raises(XAPIError) as info:
        XAPI(f"http://127.0.0.1:{port}", client_id=CLIENT_ID, client_secret=SECRET, max_retries=1).users.list_user()
    assert f"POST /connect/token on 127.0.0.1:{port} failed after 2 attempts" in str(info.value)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("status", "expected"),
    [(400, AuthenticationError), (401, AuthenticationError), (500, InternalServerError), (429, RateLimitError)],
)
def test_token_failures_keep_their_status_family(status: int, expected: type[XAPIError]) -> None:
    reply = Reply.json(status, {"error": "nope"})
    with ScriptedPBX(token=lambda r: reply) as pbx, pytest.raises(XAPIError) as info:
        XAPI(pbx.url, client_id=CLIENT_ID, client_secret=SECRET, max_retries=0).users.list_user()
    assert type(info.value) is expected


def test_a_token_endpoint_404_under_a_path_prefix_gets_a_hint() -> None:
    with ScriptedPBX(token=lambda r: Reply.text(404, "Not Found")) as pbx, pytest.raises(XAPIError) as info:
        XAPI(f"{pbx.url}/pbx1", client_id=CLIENT_ID, client_secret=SECRET, max_retries=0).users.list_user()
    assert pbx.token_requests[0].path == "/pbx1/connect/token"
    assert "base_url should be the PBX root" in str(info.value)
    assert "/pbx1" in str(info.value)


@pytest.mark.parametrize(
    "base", ["https://pbx.example.com/xapi", "https://pbx.example.com/xapi/v1/Users", "https://pbx/connect/token"]
)
def test_obviously_wrong_base_url_paths_get_a_hint(base: str) -> None:
    with pytest.raises(ValueError, match=r"is not where the XAPI lives.*/xapi/v1"):
        XAPI(base, client_id=CLIENT_ID, client_secret=SECRET)


# -- across processes ---------------------------------------------------------------------------------------


def test_the_token_store_is_owner_only_and_holds_only_the_token(server: XAPITestServer, tmp_path: Path) -> None:
    server.reset()
    store = tmp_path / "tokens"
    XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret, token_store=store).users.list_user(
        top=1
    )
    files = sorted(store.iterdir())
    assert sorted(f.suffix for f in files) == [".json", ".lock"]  # the lock is the principal's, any secret
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    (stored,) = (f for f in files if f.suffix == ".json")
    data = json.loads(stored.read_text())
    assert sorted(data) == ["access_token", "expires_at"]
    assert data["expires_at"] > time.time() + 60
    everything = b"".join(f.read_bytes() for f in files) + "".join(f.name for f in files).encode()
    assert server.client_secret.encode() not in everything
    assert server.client_id.encode() not in everything


def test_a_group_readable_store_file_is_ignored(server: XAPITestServer, tmp_path: Path) -> None:
    server.reset()
    store = FileTokenStore(tmp_path)
    XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret, token_store=store).users.list_user(
        top=1
    )
    fingerprint = ClientCredentials(server.client_id, server.client_secret).fingerprint
    path = store.path(f"{server.url}/connect/token", server.client_id, fingerprint)
    os.chmod(path, 0o644)
    assert store.load(f"{server.url}/connect/token", server.client_id, fingerprint) is None


CHILD = """
import sys
from threecx_xapi import XAPI
url, client_id, secret, store = sys.argv[1:]
for _ in range(3):
    XAPI(url, client_id=client_id, client_secret=secret, token_store=store).users.list_user(top=1)
"""


def test_processes_sharing_a_store_make_one_token_request(server: XAPITestServer, tmp_path: Path) -> None:
    server.reset()
    args = [server.url, server.client_id, server.client_secret, str(tmp_path)]
    children = [subprocess.Popen([sys.executable, "-c", CHILD, *args]) for _ in range(2)]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    assert token_requests(server) == 1
    assert api_requests(server) == 6


@pytest.mark.parametrize("with_store", [True, False])
def test_a_new_process_reuses_the_stored_token(server: XAPITestServer, tmp_path: Path, with_store: bool) -> None:
    """A process is simulated by forgetting the in-process cache; without a store the second one revokes."""
    server.reset()
    store = tmp_path if with_store else None
    for _ in range(2):
        forget_all()
        pbx = XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret, token_store=store)
        pbx.users.list_user(top=1)
    assert token_requests(server) == (1 if with_store else 2)


def test_a_stored_token_that_fails_is_replaced(server: XAPITestServer, tmp_path: Path) -> None:
    server.reset()

    def process() -> None:
        forget_all()  # a new process: only the store remembers the token
        pbx = XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret, token_store=tmp_path)
        pbx.users.list_user(top=1)

    process()
    server.faults.expire_token()
    process()
    assert token_requests(server) == 2
    assert api_requests(server) == 3  # the stale token's 401, then the replay
