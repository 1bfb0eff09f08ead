"""``pbx.export(...)``: requests on the wire, rows in the files, counts checked, resume, since-last, time zones."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from threecx_xapi import XAPI, InternalServerError, XAPIError
from threecx_xapi._bodies import load_schemas
from threecx_xapi.export import (
    CountMismatchError,
    Export,
    ExportError,
    checkpoint_path,
    default_for,
    find_operation,
    load_checkpoint,
    write_jsonl,
)
from threecx_xapi.testing import XAPITestServer
from threecx_xapi.testing._replies import omit_empty

from .conftest import ROWS_PER_DAY, call_log_target, csv_rows, jsonl_rows, march, seeded


def _segments(rows: list[dict[str, Any]]) -> list[str]:
    return [str(row["SegmentId"]) for row in rows]


def test_each_window_is_paged_on_its_own_with_the_web_clients_defaults(server: XAPITestServer, pbx: XAPI) -> None:
    job = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-03", top=40)
    rows = list(job)
    days = [(march(1), march(2)), (march(2), march(3)), (march(3), march(4))]
    expected = [call_log_target(start, end, 40, skip) for start, end in days for skip in (0, 40, 80)]
    sent = [request.path for request in server.requests.matching("GetCallLogData")]
    assert Counter(sent) == Counter(expected)  # windows run side by side: the order varies, the set does not
    whole = seeded(server, march(1), march(4))
    assert _segments(rows) == _segments(whole)
    assert len(whole) == 3 * ROWS_PER_DAY + 1
    summary = job.summary
    assert summary is not None
    assert (summary.rows, summary.windows, summary.pages, summary.retries) == (301, 3, 9, 0)
    assert summary.duplicates == 2  # the rows starting on the two inner midnights came in both their windows
    assert summary.counted


def test_the_csv_holds_each_seeded_row_once_as_the_pbx_sent_it(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path
) -> None:
    output = tmp_path / "calls.csv"
    summary = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-05", top=30).to_file(output)
    rows = csv_rows(output)
    expected = seeded(server, march(1), march(6))
    assert [row["SegmentId"] for row in rows] == _segments(expected)
    assert len({row["SegmentId"] for row in rows}) == len(rows) == summary.rows == 5 * ROWS_PER_DAY + 1
    assert list(rows[0]) == list(load_schemas()["CallLogData"]["properties"])
    for row, seed in zip(rows, expected, strict=True):
        assert row["StartTime"] == seed["StartTime"]  # "2026-03-01T00:14:24.000Z": the PBX's text, untouched
        assert row["Answered"] == ("true" if seed["Answered"] else "false")
        assert row["CdrId"] == seed["CdrId"]
    state = load_checkpoint(checkpoint_path(output))
    assert state.finished and state.offset == output.stat().st_size and state.windows == 5
    assert state.rows == summary.rows and state.next_start == state.end == "2026-03-06T00:00:00Z"


def test_json_lines_from_the_file_writer_and_from_iteration(server: XAPITestServer, pbx: XAPI, tmp_path: Path) -> None:
    job = pbx.export("GetCallLogData", period_from="2026-03-10", period_to="2026-03-10")
    assert job.to_file(tmp_path / "calls.jsonl").rows == ROWS_PER_DAY + 1
    sent = [omit_empty(row) for row in seeded(server, march(10), march(11))]  # nulls, zeros, [] left out, as a PBX
    expected = [{name: value for name, value in row.items() if value != []} for row in sent]
    assert jsonl_rows(tmp_path / "calls.jsonl") == expected
    count = write_jsonl(pbx.export("GetCallLogData", period_from="2026-03-10", period_to="2026-03-10"), tmp_path / "b")
    assert count == len(expected) and jsonl_rows(tmp_path / "b") == expected


def test_a_window_that_delivers_fewer_rows_than_counted_is_refused(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path
) -> None:
    lying_page = json.dumps({"@odata.count": ROWS_PER_DAY + 1, "value": []}).encode()
    target = call_log_target(march(2), march(3), 40, 40).removeprefix("/xapi/v1")
    server.faults.fail_next(200, path=target, body=lying_page, headers={"Content-Type": "application/json"})
    job = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-03", top=40, concurrency=1)
    with pytest.raises(CountMismatchError) as caught:
        job.to_file(tmp_path / "calls.csv")
    error = caught.value
    assert isinstance(error, XAPIError)
    assert (error.expected, error.received) == (ROWS_PER_DAY + 1, 40)
    assert error.window == ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
    assert "said @odata.count 101 but delivered 40 rows" in str(error)
    state = load_checkpoint(checkpoint_path(tmp_path / "calls.csv"))
    assert state.windows == 1 and not state.finished  # the bad window is not recorded as done


def test_pages_whose_count_changes_are_refused_even_when_the_total_adds_up(server: XAPITestServer, pbx: XAPI) -> None:
    rows = seeded(server, march(2), march(3))
    page = {"@odata.count": ROWS_PER_DAY + 2, "value": rows[40:80]}
    target = call_log_target(march(2), march(3), 40, 40).removeprefix("/xapi/v1")
    server.faults.fail_next(
        200, path=target, body=json.dumps(page).encode(), headers={"Content-Type": "application/json"}
    )
    with pytest.raises(CountMismatchError, match=r"its pages counted 101, 102"):
        list(pbx.export("GetCallLogData", period_from="2026-03-02", period_to="2026-03-02", top=40))


def test_an_interrupted_export_resumes_after_its_last_complete_window(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path
) -> None:
    output = tmp_path / "calls.csv"
    broken = call_log_target(march(3), march(4), 40, 80).removeprefix("/xapi/v1")
    server.faults.fail_next(500, path=broken)
    job = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-05", top=40, concurrency=1)
    with pytest.raises(InternalServerError):
        job.to_file(output)
    state = load_checkpoint(checkpoint_path(output))
    assert (state.windows, state.next_start, state.finished) == (2, "2026-03-03T00:00:00Z", False)
    assert output.stat().st_size > state.offset  # two pages of the broken window were written already
    server.requests.clear()
    again = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-05", top=40, concurrency=1)
    summary = again.to_file(output, resume=True)
    first = server.requests.matching("GetCallLogData")[0].path
    assert first == call_log_target(march(3), march(4), 40, 0)  # from the first incomplete window, not before
    rows = csv_rows(output)
    assert [row["SegmentId"] for row in rows] == _segments(seeded(server, march(1), march(6)))
    assert summary.duplicates == 3  # Mar 3 00:00 (against the checkpoint's keys), Mar 4 and Mar 5 00:00
    assert load_checkpoint(checkpoint_path(output)).finished


def test_since_last_exports_what_is_new_and_appends_it(server: XAPITestServer, pbx: XAPI, tmp_path: Path) -> None:
    output = tmp_path / "calls.csv"
    pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-02").to_file(output)
    server.requests.clear()
    later = pbx.export("GetCallLogData", period_to="2026-03-04")
    summary = later.to_file(output, since_last=True)
    sent = [request.path for request in server.requests.matching("GetCallLogData")]
    assert sorted(sent) == sorted(
        call_log_target(start, end, 1000, 0) for start, end in [(march(3), march(4)), (march(4), march(5))]
    )
    rows = csv_rows(output)
    assert [row["SegmentId"] for row in rows] == _segments(seeded(server, march(1), march(5)))
    assert summary.rows == 2 * ROWS_PER_DAY and summary.duplicates == 2  # Mar 3 00:00 (written before), Mar 4 00:00
    server.requests.clear()
    nothing = pbx.export("GetCallLogData", period_to="2026-03-04").to_file(output, since_last=True)
    assert nothing.rows == 0 and not server.requests.matching("GetCallLogData")


def test_days_are_cut_in_the_time_zone_given(server: XAPITestServer, pbx: XAPI) -> None:
    job = pbx.export("GetCallLogData", period_from="2026-03-28", period_to="2026-03-29", tz="Europe/Vienna")
    assert job.windows() == [(march(27, 23), march(28, 23)), (march(28, 23), march(29, 22))]  # DST: a 23 h day
    rows = list(job)
    assert _segments(rows) == _segments(seeded(server, march(27, 23), march(29, 22)))
    sent = sorted(request.path for request in server.requests.matching("GetCallLogData"))
    assert sent == sorted([call_log_target(march(27, 23), march(28, 23), 1000, 0),
                           call_log_target(march(28, 23), march(29, 22), 1000, 0)])  # fmt: skip
    offset = pbx.export("GetCallLogData", period_from="2026-03-02T08:00:00", period_to="2026-03-02T20:00:00+00:00",
                        tz="Europe/Vienna", window="6h")  # fmt: skip
    assert offset.windows() == [(march(2, 7), march(2, 13)), (march(2, 13), march(2, 19)), (march(2, 19), march(2, 20))]


def test_never_more_requests_at_once_than_the_concurrency(server: XAPITestServer) -> None:
    server.faults.latency = 0.05
    lock, in_flight, most = threading.Lock(), [0], [0]

    def started(request: httpx.Request) -> None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])

    def answered(response: httpx.Response) -> None:
        with lock:
            in_flight[0] -= 1

    http = httpx.Client(event_hooks={"request": [started], "response": [answered]})
    with XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret, http_client=http) as pbx:
        rows = list(pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-06", top=25,
                               concurrency=3))  # fmt: skip
    http.close()
    assert len(rows) == 6 * ROWS_PER_DAY + 1
    assert most[0] == 3


def test_a_top_cap_lowers_the_page_size_without_losing_rows(server: XAPITestServer, pbx: XAPI) -> None:
    server.faults.set_top_cap("ReportCallLogData", 30)
    job = pbx.export("GetCallLogData", period_from="2026-03-05", period_to="2026-03-05", top=100, concurrency=1)
    rows = list(job)
    assert _segments(rows) == _segments(seeded(server, march(5), march(6)))
    sent = [request.path for request in server.requests.matching("GetCallLogData")]
    assert sent == [call_log_target(march(5), march(6), 100, 0)] + [
        call_log_target(march(5), march(6), 30, skip) for skip in (0, 30, 60, 90)
    ]
    assert job.summary is not None and (job.summary.retries, job.summary.refused_tops) == (0, 1)  # $top=100 refused
    assert "0 retries, 1 pages asked again under the PBX's $top limit, " in str(job.summary)


def test_a_collection_without_a_period_is_one_window(server: XAPITestServer, pbx: XAPI, tmp_path: Path) -> None:
    summary = pbx.export("ListUser", top=30, select="Id,Number").to_file(tmp_path / "users.csv")
    rows = csv_rows(tmp_path / "users.csv")
    users = server.state.records("Users")
    assert [(row["Id"], row["Number"]) for row in rows] == [(str(u["Id"]), u["Number"]) for u in users]
    assert summary.windows == 1 and summary.pages == -(-len(users) // 30)
    first = server.requests.matching("/Users")[0].decoded_path
    assert first == "/xapi/v1/Users?$top=30&$skip=0&$count=true&$orderby=Id&$select=Id,Number"


@pytest.mark.parametrize(
    ("operation", "options", "message"),
    [
        ("GetNothing", {}, "no operation 'GetNothing'"),
        ("users.get_user", {}, "GetUser is not paged"),
        ("DownloadCallLog", {"period_from": "2026-03-01"}, "answers a file"),
        ("GetCallLogData", {"period_from": "2026-03-01", "window": "1x"}, "bad window '1x'"),
        ("GetCallLogData", {"period_from": "2026-03-05", "period_to": "2026-03-01"}, "ends (2026-03-02T00:00:00"),
        ("GetCallLogData", {"period_from": "2026-03-01", "tz": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ("GetCallLogData", {"period_from": "the first of March"}, "not a moment: 'the first of March'"),
        ("GetCallLogData", {"period_from": "2026-03-01", "colour": 1}, "has no parameter colour"),
        ("GetCallLogData", {"period_from": "2026-03-01", "concurrency": 0}, "concurrency must be"),
        ("GetPropertiesByDn", {}, "--dn-number (dnNumber) is required and has no default"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    server: XAPITestServer, pbx: XAPI, operation: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ExportError, match=re.escape(message)):
        job = pbx.export(operation, **options)
        job.windows()
    assert len(server.requests) == 0


def test_a_run_without_a_period_start_or_checkpoint_is_refused(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"needs the start of its period: pass period_from \(--period-from\)"):
        pbx.export("GetCallLogData").to_file(tmp_path / "a.csv")
    with pytest.raises(ExportError, match="no checkpoint at"):
        pbx.export("GetCallLogData").to_file(tmp_path / "a.csv", resume=True)
    pbx_done = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-01")
    pbx_done.to_file(tmp_path / "a.csv")
    other = pbx.export("GetCallLogData", hide_pcalls=False)
    with pytest.raises(ExportError, match=r"checkpoint of another export .*arguments"):
        other.to_file(tmp_path / "a.csv", since_last=True)
    with pytest.raises(ExportError, match="since_last starts where the last run ended"):
        pbx.export("GetCallLogData", period_from="2026-03-02").to_file(tmp_path / "a.csv", since_last=True)
    with pytest.raises(ExportError, match="the run to resume started at 2026-03-01T00:00:00Z, not 2026-03-02"):
        pbx.export("GetCallLogData", period_from="2026-03-02").to_file(tmp_path / "a.csv", resume=True)
    with pytest.raises(ExportError, match="resume and since_last exclude each other"):
        pbx_done.to_file(tmp_path / "a.csv", resume=True, since_last=True)
    assert len(server.requests.matching("GetCallLogData")) == 1  # the one run that went through


def test_defaults_are_what_the_web_client_sends() -> None:
    call_log = {str(p["name"]): p for p in find_operation("GetCallLogData").function_parameters()}
    assert default_for(call_log["hidePcalls"]) == (True, True)
    assert default_for(call_log["callTimeFilterFrom"]) == (True, "0:00:0")
    assert default_for(call_log["sourceFilter"]) == (True, "")
    assert default_for(call_log["callsType"]) == (True, 0)
    assert default_for(call_log["periodFrom"]) == (False, None)
    queue = {str(p["name"]): p for p in find_operation("GetCallDistribution").function_parameters()}
    assert default_for(queue["clientTimeZone"], time_zone="Europe/Vienna") == (True, "Europe/Vienna")
    assert default_for(queue["waitInterval"]) == (True, "0:00:0")


def test_an_export_runs_on_a_sync_client_only(server: XAPITestServer) -> None:
    with pytest.raises(ExportError, match="runs on an XAPI client"):
        Export(server.async_xapi(), "GetCallLogData")  # type: ignore[arg-type]


def test_a_property_without_a_csv_column_is_named_not_dropped_silently(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path
) -> None:
    rows = seeded(server, march(7), march(8))
    rows[0] = {**rows[0], "NewerPbxField": "x"}
    page = json.dumps({"@odata.count": len(rows), "value": rows}).encode()
    target = call_log_target(march(7), march(8), 1000, 0).removeprefix("/xapi/v1")
    server.faults.fail_next(200, path=target, body=page, headers={"Content-Type": "application/json"})
    job = pbx.export("GetCallLogData", period_from="2026-03-07", period_to="2026-03-07")
    summary = job.to_file(tmp_path / "calls.csv")
    assert summary.extra_fields == {"NewerPbxField": 1}
    assert str(summary).endswith("; not in the CSV's columns: NewerPbxField (1 rows)")
    assert "NewerPbxField" not in csv_rows(tmp_path / "calls.csv")[0]
    jsonl = pbx.export("GetCallLogData", period_from="2026-03-07", period_to="2026-03-07")
    server.faults.fail_next(200, path=target, body=page, headers={"Content-Type": "application/json"})
    assert jsonl.to_file(tmp_path / "calls.jsonl").extra_fields == {}  # JSON Lines keeps every property
    assert jsonl_rows(tmp_path / "calls.jsonl")[0]["NewerPbxField"] == "x"


def test_retries_are_the_client_s_and_are_counted(server: XAPITestServer) -> None:
    server.faults.fail_next(503, count=2, path="periodFrom=2026-03-09", retry_after=0)
    with server.xapi(max_retries=2) as pbx:
        job = pbx.export("GetCallLogData", period_from="2026-03-08", period_to="2026-03-09")
        rows = list(job)
    assert _segments(rows) == _segments(seeded(server, march(8), march(10)))
    assert job.summary is not None and (job.summary.pages, job.summary.retries) == (2, 2)
    assert len(server.requests.matching("periodFrom=2026-03-09")) == 3


def test_retries_of_an_entity_set_are_counted_too(server: XAPITestServer) -> None:
    server.faults.fail_next(429, path="/Users?", retry_after=0)
    with server.xapi(max_retries=1) as pbx:
        job = pbx.export("ListUser", top=40)
        assert len(list(job)) == len(server.state.records("Users"))
    assert job.summary is not None and job.summary.retries == 1
