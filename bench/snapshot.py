"""Snapshot throughput: ``snapshot.take`` (4 resources at a time) against reading the same resources one by one.

The PBX is the loopback test server in a child process with 20 ms of latency per request, as a PBX over a
network has: the time of a snapshot is mostly waiting, which reading a few resources at a time overlaps. The
baseline reads every resource the snapshot reads, through the same SDK calls, one after the other, and keeps
the answers in memory; a snapshot also blanks secrets, sorts and writes the files. Both are measured in the
same run, in alternating rounds, and compared as a ratio of medians.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .report import Goal, Row, Section
from .timing import PYTHON, REPO, median, progress, subprocess_env

__all__ = ["measure_snapshot"]

LATENCY = 0.02
GOAL = 0.5  # 4 at a time should take at most half the time of one at a time


@contextlib.contextmanager
def _server() -> Iterator[str]:
    child = subprocess.Popen(
        [PYTHON, "-m", "threecx_xapi.testing", "--latency", str(LATENCY)],
        cwd=REPO,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        match = re.search(r"at (http://\S+)", child.stdout.readline())
        if match is None:
            raise RuntimeError(f"the test server did not start (exit {child.poll()})")
        yield match.group(1)
    finally:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def measure_snapshot(rounds: int) -> Section:
    from threecx_xapi import XAPI, snapshot
    from threecx_xapi.snapshot._take import _read

    method = (
        f"the test server in a child process, {LATENCY * 1000:.0f} ms latency a request; {rounds} alternating rounds; "
        "wall time of a whole snapshot (102 resources)"
    )
    section = Section("snapshot (every readable resource of the test server's PBX)", method)
    with _server() as url, XAPI(url, client_id="test-client", client_secret="test-secret") as pbx:
        chosen = snapshot.resources()

        def sequential() -> None:
            for resource in chosen:
                _read(pbx, resource, snapshot.DEFAULT_PAGE_SIZE)

        def take(concurrency: int, scratch: str, round_: int) -> Callable[[], object]:
            return lambda: snapshot.take(pbx, Path(scratch) / f"{concurrency}-{round_}", concurrency=concurrency)

        samples: dict[str, list[float]] = {"one by one": [], "take, 1 at a time": [], "take, 4 at a time": []}
        with tempfile.TemporaryDirectory() as scratch:
            sequential()  # warm-up: token, connections, the server's seeded sets
            for i in range(rounds):
                progress(f"snapshot round {i + 1}/{rounds}")
                jobs: list[tuple[str, Callable[[], object]]] = [
                    ("one by one", sequential),
                    ("take, 1 at a time", take(1, scratch, i)),
                    ("take, 4 at a time", take(4, scratch, i)),
                ]
                for name, job in jobs if i % 2 == 0 else jobs[::-1]:
                    start = time.perf_counter()
                    job()
                    samples[name].append(time.perf_counter() - start)
        base = median(samples["one by one"])
        for name, values in samples.items():
            section.rows.append(Row(name, values, median(values) / base))
        four = median(samples["take, 4 at a time"]) / base
        one = median(samples["take, 1 at a time"]) / base
        section.goals.append(Goal("snapshot 4-at-a-time/one-by-one reads", four, f"<= {GOAL}", four <= GOAL))
        section.goals.append(Goal("snapshot 1-at-a-time/one-by-one reads (blank, sort, write)", one, "", None))
    return section
