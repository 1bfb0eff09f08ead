"""Provisioning: applying a file of new users with ``--concurrency 4`` against one request at a time.

Both contenders apply the same rows (each run on a freshly reset test server, so every row is a create)
over loopback to the started test server, with a fixed latency per request standing in for a PBX's own
work; the ratio of the medians says how much the bounded concurrency buys. The plan of the same rows (reads
only) is timed as a reference.
"""

from __future__ import annotations

import time

from .report import Goal, Row, Section
from .timing import median, progress

__all__ = ["measure_provision"]

LATENCY = 0.01  # seconds per request: a PBX takes a while to create a user
GOAL = 0.5


def measure_provision(rows: int, runs: int) -> Section:
    """``runs`` alternating applies of ``rows`` new users at concurrency 1 and 4; ratio of the medians."""
    from threecx_xapi.provision import Provisioner
    from threecx_xapi.testing import XAPITestServer

    method = (
        f"{rows} new users applied {runs} times each, alternating, on a reset test server on 127.0.0.1 with "
        f"{LATENCY * 1000:.0f} ms latency per request; wall time of plan + apply, median"
    )
    section = Section("provisioning (users, started test server)", method)
    table = [{"Number": str(5000 + n), "FirstName": f"F{n}", "EmailAddress": f"u{n}@example.com"} for n in range(rows)]
    samples: dict[int, list[float]] = {1: [], 4: []}
    plans: list[float] = []
    with XAPITestServer(latency=LATENCY) as server:
        for i in range(runs):
            for concurrency in (1, 4) if i % 2 == 0 else (4, 1):
                progress(f"provision: run {i + 1}/{runs}, concurrency {concurrency}")
                server.reset()
                with server.xapi() as pbx:
                    provisioner = Provisioner(pbx, "users")
                    started = time.perf_counter()
                    plan = provisioner.plan(table)
                    plans.append(time.perf_counter() - started)
                    report = provisioner.apply(plan, concurrency=concurrency)
                    samples[concurrency].append(time.perf_counter() - started)
                if report.counts["ok"] != rows:
                    raise RuntimeError(f"provisioning failed: {report.summary()}")
    ratio = median(samples[4]) / median(samples[1])
    section.rows += [
        Row(f"plan {rows} rows (reads only)", plans),
        Row(f"apply {rows} rows, --concurrency 1", samples[1], 1.0, "baseline"),
        Row(f"apply {rows} rows, --concurrency 4", samples[4], ratio),
    ]
    section.goals.append(
        Goal("provision apply, concurrency 4 / concurrency 1", ratio, f"< {GOAL}", ratio < GOAL, unit="x")
    )
    return section
