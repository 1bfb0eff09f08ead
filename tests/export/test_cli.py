"""``threecx-xapi export``: files, exit codes, stderr, resume and since-last through the command line."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from threecx_xapi.cli._export import _progress, _tty
from threecx_xapi.export import ExportProgress, checkpoint_path, load_checkpoint
from threecx_xapi.testing import XAPITestServer

from ..cli.conftest import invoke, server_env
from .conftest import ROWS_PER_DAY, call_log_target, csv_rows, jsonl_rows, march, seeded

CALL_LOG = ["export", "report-call-log-data", "get-call-log-data"]


def test_export_to_csv_with_a_summary_on_stderr(server: XAPITestServer, tmp_path: Path) -> None:
    output = tmp_path / "calls.csv"
    argv = [*CALL_LOG, "--period-from", "2026-03-01", "--period-to", "2026-03-03", "--output", str(output)]
    result = invoke(argv, server_env(server))
    assert result.exit_code == 0, result.output
    rows = csv_rows(output)
    assert [row["SegmentId"] for row in rows] == [str(r["SegmentId"]) for r in seeded(server, march(1), march(4))]
    assert result.stdout == ""
    assert result.stderr == (
        f"exported to {output}: {3 * ROWS_PER_DAY + 1} rows in 3 windows (each checked against @odata.count), "
        f"3 pages, 0 retries, 2 duplicates dropped, " + result.stderr.split("dropped, ")[1]
    )
    assert result.stderr.endswith(" s\n")


def test_export_to_json_lines_in_a_time_zone(server: XAPITestServer, tmp_path: Path) -> None:
    output = tmp_path / "calls.out"
    argv = [*CALL_LOG, "--period-from", "2026-03-02", "--period-to", "2026-03-02", "--tz", "Europe/Vienna"]
    result = invoke([*argv, "--format", "jsonl", "-o", str(output), "--top", "60"], server_env(server))
    assert result.exit_code == 0, result.output
    rows = jsonl_rows(output)
    assert [row["SegmentId"] for row in rows] == [r["SegmentId"] for r in seeded(server, march(1, 23), march(2, 23))]
    sent = sorted(request.path for request in server.requests.matching("GetCallLogData"))
    assert sent == [call_log_target(march(1, 23), march(2, 23), 60, skip) for skip in (0, 60)]


def test_an_interrupted_export_then_resume_gives_each_row_once(server: XAPITestServer, tmp_path: Path) -> None:
    output = tmp_path / "calls.csv"
    argv = [*CALL_LOG, "--period-from", "2026-03-01", "--period-to", "2026-03-04", "-o", str(output), "--top", "30"]
    last_page_of_the_third_day = call_log_target(march(3), march(4), 30, 90).removeprefix("/xapi/v1")
    server.faults.fail_next(503, path=last_page_of_the_third_day)
    broken = invoke(["--max-retries", "0", *argv, "--concurrency", "1"], server_env(server))
    assert broken.exit_code == 9
    assert "error: " in broken.stderr and "status: 503" in broken.stderr
    assert load_checkpoint(checkpoint_path(output)).windows == 2
    resumed = invoke([*argv, "--resume"], server_env(server))
    assert resumed.exit_code == 0, resumed.output
    rows = csv_rows(output)
    expected = [str(r["SegmentId"]) for r in seeded(server, march(1), march(5))]
    assert [row["SegmentId"] for row in rows] == expected
    assert len(set(expected)) == len(expected)
    assert "rows in 2 windows" in resumed.stderr


def test_since_last_appends_what_is_new(server: XAPITestServer, tmp_path: Path) -> None:
    output = tmp_path / "calls.jsonl"
    first = invoke([*CALL_LOG, "--period-from", "2026-03-01", "--period-to", "2026-03-01", "-o", str(output)],
                   server_env(server))  # fmt: skip
    assert first.exit_code == 0, first.output
    later = invoke([*CALL_LOG, "--since-last", "--period-to", "2026-03-02", "-o", str(output)], server_env(server))
    assert later.exit_code == 0, later.output
    rows = jsonl_rows(output)
    assert [row["SegmentId"] for row in rows] == [r["SegmentId"] for r in seeded(server, march(1), march(3))]
    assert f"{ROWS_PER_DAY} rows in 1 windows" in later.stderr


def test_help_lists_the_web_clients_defaults() -> None:
    result = invoke([*CALL_LOG, "--help"], {"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "callTimeFilterFrom: string; default '0:00:0' (as the 3CX web client sends)" in text
    assert "hidePcalls: bool; default true" in text
    assert "sourceType: int; default 0" in text
    assert "Row key: SegmentId." in text
    assert "--window TEXT split the period into windows" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "report-call-log-data", "get-nothing", "-o", "x.csv"], "No such command 'get-nothing'"),
        (["export", "users", "get-user", "-o", "x.csv"], "users get-user cannot be exported: it is not a paged"),
        ([*CALL_LOG, "--period-from", "2026-03-01", "--window", "soon", "-o", "x.csv"], "bad window 'soon'"),
        ([*CALL_LOG, "--period-from", "2026-03-05", "--period-to", "2026-03-01", "-o", "x.csv"], "before it starts"),
        ([*CALL_LOG, "--period-to", "2026-03-01", "-o", "x.csv"], "needs the start of its period"),
        ([*CALL_LOG, "--period-from", "2026-03-01", "--tz", "Nowhere/Town", "-o", "x.csv"], "unknown time zone"),
    ],
)
def test_bad_input_is_a_usage_error_before_any_request(
    server: XAPITestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(argv, server_env(server))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(server.requests) == 0
    assert not (tmp_path / "x.csv").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_shows_windows_rows_and_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with _progress(enabled=_tty(sys.stderr)) as update:
        assert update is not None
        update(ExportProgress(windows_done=3, windows=31, rows=9678, seconds=2.0))
    text = terminal.getvalue()
    assert "windows" in text and "3/31" in text and "9678 rows, 4839/s" in text
    with _progress(enabled=_tty(io.StringIO())) as nothing:
        assert nothing is None  # not a terminal: no bar at all
