"""The 100 000-row call log exported end to end by the command line in a process of its own (slow)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from threecx_xapi.export import checkpoint_path, load_checkpoint
from threecx_xapi.testing import XAPITestServer

from ..cli.conftest import Shell, server_env
from .conftest import csv_rows, march, seeded

ROWS = 100_000


@pytest.fixture(scope="module")
def big_server() -> Iterator[XAPITestServer]:
    with XAPITestServer(call_log_rows=ROWS, top_caps={"ReportCallLogData": 1000}) as server:
        server.state.call_log_between(None, None)
        yield server


def test_a_month_of_100_000_rows_arrives_once_each(big_server: XAPITestServer, tmp_path: Path) -> None:
    shell = Shell(tmp_path, server_env(big_server))
    result = shell(
        "export", "report-call-log-data", "get-call-log-data", "--period-from", "2026-03-01",
        "--period-to", "2026-03-31", "--top", "5000", "-o", "calls.csv",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = csv_rows(tmp_path / "calls.csv")
    expected = [str(row["SegmentId"]) for row in seeded(big_server, march(1), march(31) + timedelta(days=1))]
    assert len(expected) == ROWS  # every row of the server starts in March
    assert [row["SegmentId"] for row in rows] == expected
    assert len({row["SegmentId"] for row in rows}) == ROWS
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith(f"exported to calls.csv: {ROWS} rows in 31 windows (each checked against")
    assert "124 pages, 0 retries, " in summary  # $top=5000 asked, the PBX's cap of 1000 learnt and paged by
    assert "pages asked again under the PBX's $top limit" in summary
    assert "limits $top to 1000 (asked for 5000)" in result.stderr  # the SDK's warning, once per refused page
    state = load_checkpoint(checkpoint_path(tmp_path / "calls.csv"))
    assert state.finished and state.rows == ROWS and state.offset == (tmp_path / "calls.csv").stat().st_size
