"""The export against plain auto-paging: wall time of the same 100 000 call-log rows, and the export's memory.

Server: ``XAPITestServer(latency=0.05, call_log_rows=100_000)`` (50 ms before every answer, the call log capped
at ``$top=1000`` as on a PBX) in a child process of its own, so that its CPU and memory are in neither contender.
Both contenders run in fresh child processes too, one after the other, on the same server, with 1000 rows a page:

* baseline: plain sequential auto-paging, ``for row in pbx.report_call_log_data.get_call_log_data(March...,
  top=1000)``, each row turned into its wire dict (what a loop writing rows out would do);
* export: ``pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-31").to_file(csv)``, the
  default day windows and concurrency 4, streamed to a CSV file on disk.

Each child reports its wall time (``perf_counter`` around the work, after the client fetched its token) and its
peak resident memory (``VmHWM`` of /proc/self/status, the process image's own); both check that every row
came. Goals: the export's wall time at most 0.35x the baseline's (medians when run more than once), its peak
memory at most 150 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from .report import Goal, Row, Section
from .timing import PYTHON, REPO, median, progress, subprocess_env

__all__ = ["measure_export"]

ROWS = 100_000
LATENCY = 0.05
PAGE = 1000
WALL_GOAL = 0.35
MEMORY_GOAL_MB = 150.0
SERVER_START_TIMEOUT = 120.0

_SERVER = textwrap.dedent(
    f"""
    import sys
    from threecx_xapi.testing import XAPITestServer
    server = XAPITestServer(latency={LATENCY}, call_log_rows={ROWS}, top_caps={{"ReportCallLogData": {PAGE}}})
    server.state.call_log_between(None, None)  # seed and index the rows before anyone times a request
    server.start()
    print(server.url, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
    server.stop()
    """
)

_COMMON = textwrap.dedent(
    """
    import json, resource, sys, time
    from datetime import datetime, timezone
    from threecx_xapi import XAPI
    url = sys.argv[1]
    pbx = XAPI(url, client_id="test-client", client_secret="test-secret", max_retries=0)
    pbx.users.list_user(top=1)  # the token, before the clock starts

    def peak_mb():
        # VmHWM is this process image's own peak: ru_maxrss on Linux keeps the forking parent's across exec,
        # so a bench parent that grew (other benchmarks before this one) would count as the export's memory.
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    def report(rows, seconds):
        peak = peak_mb()
        print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak}))
    """
)

_BASELINE = _COMMON + textwrap.dedent(
    f"""
    march = (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc))
    defaults = dict(source_type=0, source_filter="", destination_type=0, destination_filter="", calls_type=0,
                    call_time_filter_type=0, call_time_filter_from="0:00:0", call_time_filter_to="0:00:0",
                    hide_pcalls=True)
    started = time.perf_counter()
    rows = 0
    for item in pbx.report_call_log_data.get_call_log_data(*march, **defaults, top={PAGE}):
        item.to_dict()
        rows += 1
    report(rows, time.perf_counter() - started)
    """
)

_EXPORT = _COMMON + textwrap.dedent(
    f"""
    output = sys.argv[2]
    started = time.perf_counter()
    job = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-31", top={PAGE})
    summary = job.to_file(output)
    seconds = time.perf_counter() - started
    with open(output, encoding="utf-8") as handle:
        lines = sum(1 for _ in handle) - 1  # the header
    assert lines == summary.rows, (lines, summary.rows)
    report(summary.rows, seconds)
    print(summary, file=sys.stderr)
    """
)


def _child(script: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [PYTHON, "-c", script, *args], cwd=REPO, env=subprocess_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    measured["stderr"] = result.stderr.strip()
    return measured


def measure_export(*, rounds: int) -> Section:
    """Baseline and export ``rounds`` times each, alternating, against one server process."""
    method = (
        f"{ROWS} call-log rows, {LATENCY * 1000:.0f} ms latency a request, {PAGE} rows a page; server, baseline and "
        "export each in a process of their own; wall time by perf_counter, memory by VmHWM (the process's own peak RSS)"
    )
    section = Section("export (GetCallLogData, March 2026)", method)
    progress(f"export: starting the test server ({ROWS} rows)")
    server = subprocess.Popen(
        [PYTHON, "-c", _SERVER],
        cwd=REPO,
        env=subprocess_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    baseline: list[float] = []
    exported: list[float] = []
    peaks: list[float] = []
    base_peaks: list[float] = []
    summary = ""
    try:
        assert server.stdout is not None and server.stdin is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the benchmark's test server did not start")
        with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
            for round_number in range(rounds):
                progress(f"export: round {round_number + 1} of {rounds}: sequential auto-paging")
                base = _child(_BASELINE, url)
                progress(f"export: round {round_number + 1} of {rounds}: export")
                ours = _child(_EXPORT, url, str(Path(folder) / "calls.csv"))
                if base["rows"] != ROWS or ours["rows"] != ROWS:
                    raise RuntimeError(f"rows: baseline {base['rows']}, export {ours['rows']}, expected {ROWS}")
                baseline.append(base["seconds"])
                base_peaks.append(base["peak_mb"])
                exported.append(ours["seconds"])
                peaks.append(ours["peak_mb"])
                summary = ours["stderr"]
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    ratio = median(exported) / median(baseline)
    peak = max(peaks)
    section.rows.append(Row("sequential auto-paging", baseline, 1.0, f"peak {max(base_peaks):.0f} MB"))
    section.rows.append(Row("export (1d windows, concurrency 4)", exported, ratio, f"peak {peak:.0f} MB, to CSV"))
    section.notes.append(f"export summary: {summary.splitlines()[-1] if summary else 'n/a'}")
    section.goals.append(Goal("export/auto-paging wall time", ratio, f"<= {WALL_GOAL}", ratio <= WALL_GOAL))
    section.goals.append(
        Goal("export peak memory", peak, f"<= {MEMORY_GOAL_MB:.0f} MB", peak <= MEMORY_GOAL_MB, unit=" MB")
    )
    return section


if __name__ == "__main__":  # python -m bench.export: this benchmark alone
    from .report import render

    print(render([measure_export(rounds=1)]))
    sys.exit(0)
