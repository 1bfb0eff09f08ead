"""The README's export examples run as written against the loopback test server (``pbx`` is its client)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi.export import checkpoint_path, load_checkpoint
from threecx_xapi.testing import XAPITestServer

from .conftest import csv_rows, jsonl_rows, march, seeded

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_python_example_runs(
    server: XAPITestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.read_text("utf-8").split("## Exporting call logs and reports\n", 1)[1].split("\n## ", 1)[0]
    code = "\n".join(re.findall(r"```python\n(.*?)```", section, re.DOTALL))
    monkeypatch.chdir(tmp_path)
    with server.xapi() as pbx:
        namespace: dict[str, Any] = {"pbx": pbx}
        exec(compile(code, str(README), "exec"), namespace)
    rows = csv_rows(tmp_path / "calls.csv")
    vienna_march = seeded(server, datetime(2026, 2, 28, 23, tzinfo=timezone.utc), march(31, 22))  # CET, then CEST
    assert [row["SegmentId"] for row in rows] == [str(row["SegmentId"]) for row in vienna_march]
    assert load_checkpoint(checkpoint_path(tmp_path / "calls.csv")).finished
    assert [row["Id"] for row in jsonl_rows(tmp_path / "users.jsonl")] == [
        u["Id"] for u in server.state.records("Users")
    ]
    assert capsys.readouterr().out.startswith(f"{len(rows)} rows in 31 windows (each checked against @odata.count)")
