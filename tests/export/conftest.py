"""Fixtures for exports: a loopback test server seeded with a call log of 100 rows a day over March 2026."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi import XAPI
from threecx_xapi.testing import XAPITestServer

__all__ = ["ROWS_PER_DAY", "call_log_target", "csv_rows", "march", "seeded"]

ROWS_PER_DAY = 100  # 3100 rows over the 31 days of March: one every 864 s, so one starts on each midnight
DEFAULTS = (
    "sourceType=0,sourceFilter='',destinationType=0,destinationFilter='',callsType=0,callTimeFilterType=0,"
    "callTimeFilterFrom='0:00:0',callTimeFilterTo='0:00:0',hidePcalls=true"
)


def march(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def _z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def call_log_target(start: datetime, end: datetime, top: int, skip: int, *, tail: str = "&$count=true") -> str:
    """The request target of one call-log page as the export sends it (path and query, as the server logs it)."""
    return (
        f"/xapi/v1/ReportCallLogData/Pbx.GetCallLogData(periodFrom={_z(start)},periodTo={_z(end)},{DEFAULTS})"
        f"?$top={top}&$skip={skip}{tail}&$orderby=SegmentId"
    )


def seeded(server: XAPITestServer, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The server's own rows that started within start..end: what an export of that period must deliver."""
    return server.state.call_log_between(start, end)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture
def server() -> Iterator[XAPITestServer]:
    with XAPITestServer(call_log_rows=31 * ROWS_PER_DAY) as server:
        server.state.call_log_between(None, None)  # index the rows before the test times anything
        yield server


@pytest.fixture
def pbx(server: XAPITestServer) -> Iterator[XAPI]:
    with server.xapi(max_retries=0) as client:
        yield client
