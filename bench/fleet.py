"""One operation against 50 PBXs: ``Fleet.run`` against the same calls made one after another.

A child process (``python -m bench.fleet 50 0.05``) serves 50 ``XAPITestServer``s on 127.0.0.1, each
answering every request after 50 ms (``latency=0.05``), and prints their addresses; it stops when its stdin
closes. A child, so that the servers' CPU time is not in the measured process and the two never share a GIL.
The benchmark makes one ``XAPI`` per server, fetches every token in a warm-up (a token per PBX is set-up, not
the operation), then times in alternating rounds: the 50 calls ``pbx.users.get_user(1, select=["Id",
"Number"])`` one after another, and the same through ``Fleet(clients).run(...)`` with the default concurrency
(16), and ``AsyncFleet`` as a reference. The goal is the ratio of the medians, fleet / sequential <= 0.2; with
16 at a time the floor is ceil(50 / 16) latencies against 50, about 0.08.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from .report import Goal, Row, Section
from .timing import PYTHON, REPO, median, progress, subprocess_env

__all__ = ["measure_fleet", "serve"]

SERVERS = 50
LATENCY = 0.05
GOAL = 0.2
START_TIMEOUT = 60.0


def serve(count: int, latency: float) -> None:
    """Serve ``count`` test servers until stdin closes; their URLs as one JSON line on stdout."""
    from threecx_xapi.testing import XAPITestServer

    with ExitStack() as stack:
        servers = [stack.enter_context(XAPITestServer(latency=latency)) for _ in range(count)]
        print(json.dumps([server.url for server in servers]), flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin (or dies)


@contextmanager
def _servers(count: int, latency: float) -> Iterator[list[str]]:
    child = subprocess.Popen(
        [PYTHON, "-m", "bench.fleet", str(count), str(latency)],
        cwd=REPO,
        env=subprocess_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        line = child.stdout.readline()
        if not line.startswith("["):
            raise RuntimeError(f"the benchmark servers did not start (exit {child.poll()})")
        yield list(json.loads(line))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure_fleet(rounds: int) -> Section:
    """``rounds`` alternating rounds of 50 sequential calls, ``Fleet.run`` and ``AsyncFleet.run``."""
    from threecx_xapi import XAPI, AsyncFleet, AsyncXAPI, Fleet
    from threecx_xapi.testing import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    method = (
        f"one GET /Users(1) against each of {SERVERS} XAPITestServers (latency {LATENCY * 1000:.0f} ms, in a child "
        f"process) on 127.0.0.1, tokens fetched beforehand; {rounds} alternating rounds, wall time per round"
    )
    section = Section(f"fleet ({SERVERS} PBXs, one operation each)", method)
    cid, secret = DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    progress(f"fleet: starting {SERVERS} test servers")
    with _servers(SERVERS, LATENCY) as urls, ExitStack() as stack:
        clients = {
            f"pbx{n:02d}": stack.enter_context(XAPI(url, client_id=cid, client_secret=secret))
            for n, url in enumerate(urls)
        }
        fleet = Fleet(clients)

        def one(pbx: XAPI) -> int:
            return pbx.users.get_user(1, select=["Id", "Number"]).id

        def sequential() -> None:
            for pbx in clients.values():
                one(pbx)

        def threads() -> None:
            fleet.run(one).raise_for_failures()

        async def tasks() -> None:
            async_clients = {
                name: AsyncXAPI(url, client_id=cid, client_secret=secret)
                for name, url in zip(clients, urls, strict=True)
            }
            async with AsyncFleet(async_clients) as async_fleet:

                async def call(pbx: AsyncXAPI) -> int:
                    return (await pbx.users.get_user(1, select=["Id", "Number"])).id

                (await async_fleet.run(call)).raise_for_failures()  # the first round fetches the tokens
                for _ in range(rounds):
                    started = time.perf_counter()
                    (await async_fleet.run(call)).raise_for_failures()
                    async_samples.append(time.perf_counter() - started)
            for client in async_clients.values():
                await client.close()

        samples: dict[str, list[float]] = {"sequential": [], "Fleet.run": []}
        async_samples: list[float] = []
        progress("fleet: warm-up (a token per PBX)")
        threads()
        sequential()
        contenders = [("sequential", sequential), ("Fleet.run", threads)]
        for i in range(rounds):
            progress(f"fleet round {i + 1}/{rounds}")
            for name, run in contenders if i % 2 == 0 else contenders[::-1]:
                samples[name].append(_timed(run))
        progress("fleet: AsyncFleet")
        asyncio.run(tasks())
    base = median(samples["sequential"])
    ratio = median(samples["Fleet.run"]) / base
    labels = {
        "sequential": f"{SERVERS} calls one after another",
        "Fleet.run": f"Fleet.run, concurrency {fleet.concurrency}",
    }
    for name in ("sequential", "Fleet.run"):
        section.rows.append(Row(labels[name], samples[name], median(samples[name]) / base))
    section.rows.append(
        Row(f"AsyncFleet.run, concurrency {fleet.concurrency}", async_samples, median(async_samples) / base)
    )
    floor = -(-SERVERS // fleet.concurrency) / SERVERS
    section.notes.append(
        f"the latency alone puts the floor at {floor:.2f} (ceil({SERVERS}/{fleet.concurrency})/{SERVERS})"
    )
    section.goals.append(Goal("fleet/sequential (50 PBXs, 50 ms)", ratio, f"<= {GOAL}", ratio <= GOAL))
    return section


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
