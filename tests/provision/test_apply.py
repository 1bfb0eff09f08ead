"""Applying: exactly the planned requests on the wire, idempotent re-runs, failures that do not stop the others,
re-runs after a partial apply, pruning, and the per-row report."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import httpx
import pytest

from threecx_xapi import XAPI
from threecx_xapi.provision import Provisioner, ProvisionError, RowResult
from threecx_xapi.testing import SyncASGITransport, XAPITestServer

from .conftest import body, user, writes


def test_apply_sends_exactly_the_planned_requests(server: XAPITestServer, pbx: XAPI) -> None:
    first = user(server, "100")
    rows = [
        {"Number": "100", "FirstName": "Ada", "LastName": first["LastName"], "group": "Support"},
        {"Number": "101"},
        {"Number": "5000", "FirstName": "Grace", "Enabled": "FALSE"},
    ]
    report = Provisioner(pbx, "users").apply(rows, concurrency=1)

    assert [(r.row, r.key, r.action, r.status) for r in report] == [
        (1, "100", "update", "ok"),
        (2, "101", "unchanged", "ok"),
        (3, "5000", "create", "ok"),
    ]
    sent = writes(server)
    assert [(r.method, r.decoded_path) for r in sent] == [
        ("PATCH", f"/xapi/v1/Users({first['Id']})"),
        ("POST", "/xapi/v1/Users"),
    ]
    assert body(sent[0]) == {"FirstName": "Ada", "Groups": [{"GroupId": 3, "Rights": {"RoleName": "users"}}]}
    assert body(sent[1]) == {"Number": "5000", "FirstName": "Grace", "Enabled": False}
    stored = user(server, "100")
    assert stored["FirstName"] == "Ada"
    assert [(g["GroupId"], g["Name"], g["Rights"]["RoleName"]) for g in stored["Groups"]] == [(3, "Support", "users")]


def test_a_second_apply_of_the_same_rows_sends_no_write(server: XAPITestServer, pbx: XAPI) -> None:
    rows = [
        {"Number": "100", "FirstName": "Ada", "role": "managers"},
        {"Number": "5000", "FirstName": "Grace", "group": "Sales"},
        {"FirstName": "Alan", "EmailAddress": "alan@example.com"},  # numbered by the plan, then found by e-mail
    ]
    provisioner = Provisioner(pbx, "users")
    assert provisioner.apply(rows).ok
    before = len(writes(server))
    again = provisioner.apply(rows)

    assert [(r.action, r.status) for r in again] == [("unchanged", "ok")] * 3
    assert len(writes(server)) == before == 3


def test_a_refused_row_is_reported_and_does_not_stop_the_others(server: XAPITestServer, pbx: XAPI) -> None:
    rows = [{"Number": str(n), "FirstName": f"U{n}"} for n in range(5000, 5006)]
    provisioner = Provisioner(pbx, "users")
    plan = provisioner.plan(rows)
    server.faults.fail_next(
        400,
        method="POST",
        body=b'{"error":{"code":"","message":"Number:\\nWARNINGS.XAPI.INVALID_VALUE"}}',
        headers={"Content-Type": "application/json"},
    )
    report = provisioner.apply(plan, concurrency=1)

    failed = report.failed
    assert [(r.row, r.status) for r in failed] == [(1, "failed")]
    assert failed[0].error == "POST /xapi/v1/Users -> 400 Bad Request: Number: WARNINGS.XAPI.INVALID_VALUE"
    assert "run the same file again" in failed[0].hint
    assert report.counts == {"ok": 5, "failed": 1, "skipped": 0}
    assert not report.ok
    rerun = provisioner.apply(rows)
    assert [r.action for r in rerun] == ["create"] + ["unchanged"] * 5
    assert rerun.ok
    numbers = [u["Number"] for u in server.state.records("Users")]
    assert all(numbers.count(str(n)) == 1 for n in range(5000, 5006))


def test_each_result_is_handed_over_as_it_completes(server: XAPITestServer, pbx: XAPI) -> None:
    seen: list[RowResult] = []
    report = Provisioner(pbx, "users").apply([{"Number": "100"}, {"Number": "5000"}], on_result=seen.append)

    assert sorted(seen, key=lambda r: r.row or 0) == list(report)


def test_stop_on_error_starts_no_further_row(server: XAPITestServer, pbx: XAPI) -> None:
    rows = [{"Number": str(n)} for n in range(5000, 5004)]
    provisioner = Provisioner(pbx, "users")
    plan = provisioner.plan(rows)
    server.faults.fail_next(400, method="POST")
    report = provisioner.apply(plan, concurrency=1, stop_on_error=True)

    assert [r.status for r in report] == ["failed", "skipped", "skipped", "skipped"]
    assert report.results[1].error == "not attempted: an earlier row failed (stop on error)"
    assert len(writes(server)) == 1


def test_a_connection_dropped_after_a_create_is_completed_by_the_rerun_exactly_once(
    server: XAPITestServer, pbx: XAPI
) -> None:
    rows = [{"Number": "5000", "FirstName": "Dropped"}, {"Number": "5001", "FirstName": "Fine"}]
    provisioner = Provisioner(pbx, "users")
    plan = provisioner.plan(rows)
    server.faults.reset_next(method="POST")  # the PBX creates the user; the answer never arrives
    report = provisioner.apply(plan, concurrency=1)

    assert [r.status for r in report] == ["failed", "ok"]
    assert "run the same file again" in report.results[0].hint
    rerun = provisioner.apply(rows)
    assert [r.action for r in rerun] == ["unchanged", "unchanged"]
    assert user(server, "5000")["FirstName"] == "Dropped"  # one user, created once


def test_conflicting_rows_are_skipped_with_their_reasons(server: XAPITestServer, pbx: XAPI) -> None:
    queue = server.state.records("Queues")[0]["Number"]
    report = Provisioner(pbx, "users").apply([{"Number": queue}, {"Number": "5000"}])

    assert report.results[0] == RowResult(
        1,
        queue,
        "conflict",
        "skipped",
        f"number {queue} is already in use by Queue 'Sales Queue'",
        "correct the row in the file and run it again",
    )
    assert [(r.method, r.decoded_path) for r in writes(server)] == [("POST", "/xapi/v1/Users")]


def test_prune_deletes_exactly_the_entities_the_file_does_not_name(server: XAPITestServer, pbx: XAPI) -> None:
    everyone = server.state.records("Users")
    rows = [{"Number": u["Number"]} for u in everyone[3:]]
    provisioner = Provisioner(pbx, "users")
    assert provisioner.apply(rows).ok  # no prune: nothing deleted
    assert writes(server) == []

    report = provisioner.apply(rows, prune=True)
    assert [(r.key, r.action, r.status) for r in report if r.action == "delete"] == [
        (u["Number"], "delete", "ok") for u in everyone[:3]
    ]
    assert sorted(r.decoded_path for r in writes(server)) == sorted(f"/xapi/v1/Users({u['Id']})" for u in everyone[:3])
    assert {r.method for r in writes(server)} == {"DELETE"}
    assert len(server.state.records("Users")) == len(everyone) - 3


def test_a_plan_made_without_prune_cannot_be_applied_with_it(pbx: XAPI) -> None:
    provisioner = Provisioner(pbx, "users")
    plan = provisioner.plan([{"Number": "100"}])
    with pytest.raises(ProvisionError, match="prune"):
        provisioner.apply(plan, prune=True)
    with pytest.raises(ProvisionError, match="concurrency"):
        provisioner.apply(plan, concurrency=0)
    with pytest.raises(ProvisionError, match="this plan is for Users, not Groups"):
        Provisioner(pbx, "groups").apply(plan)


def test_the_report_writes_as_csv_or_json(server: XAPITestServer, pbx: XAPI, tmp_path: Path) -> None:
    server.faults.fail_next(400, method="PATCH")
    report = Provisioner(pbx, "users").apply([{"Number": "100", "FirstName": "Ada"}, {"Number": "5000"}])

    with report.write(tmp_path / "result.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [list(r) for r in rows[:1]] == [["row", "key", "action", "status", "error", "hint"]]
    assert [(r["row"], r["key"], r["action"], r["status"]) for r in rows] == [
        ("1", "100", "update", "failed"),
        ("2", "5000", "create", "ok"),
    ]
    assert rows[0]["error"].startswith("PATCH /xapi/v1/Users(1) -> 400 Bad Request")
    written = json.loads(report.write(tmp_path / "result.json").read_text("utf-8"))
    assert written == [r.as_dict() for r in report]
    assert written[1] == {"row": 2, "key": "5000", "action": "create", "status": "ok", "error": "", "hint": ""}


def test_groups_are_provisioned_by_the_same_machinery(server: XAPITestServer, pbx: XAPI) -> None:
    rows = [{"Name": "Warehouse", "Number": "GRP0100"}, {"Number": "GRP0001", "Name": "Sales team"}]
    report = Provisioner(pbx, "groups").apply(rows, concurrency=1)

    assert [(r.action, r.status) for r in report] == [("create", "ok"), ("update", "ok")]
    assert [(r.method, r.decoded_path, body(r)) for r in writes(server)] == [
        ("POST", "/xapi/v1/Groups", {"Name": "Warehouse", "Number": "GRP0100"}),
        ("PATCH", "/xapi/v1/Groups(2)", {"Name": "Sales team"}),
    ]


class _CountingTransport(httpx.BaseTransport):
    """Holds each create until ``width`` are in flight together (a barrier), and records the most at once."""

    def __init__(self, inner: httpx.BaseTransport, width: int) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(width, timeout=10)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or not request.url.path.endswith("/Users"):
            return self.inner.handle_request(request)
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            self.barrier.wait()
            return self.inner.handle_request(request)
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.mark.parametrize("concurrency", [1, 4])
def test_apply_keeps_exactly_concurrency_requests_in_flight(server: XAPITestServer, concurrency: int) -> None:
    transport = _CountingTransport(SyncASGITransport(server.asgi_app), concurrency)
    http = httpx.Client(transport=transport, base_url="http://testserver")
    pbx = XAPI("http://testserver", client_id=server.client_id, client_secret=server.client_secret, http_client=http)
    rows = [{"Number": str(n)} for n in range(5000, 5008)]
    with http, pbx:
        report = Provisioner(pbx, "users").apply(rows, concurrency=concurrency)

    assert report.ok
    assert transport.most == concurrency  # the barrier proves that many at once; the count, never more


def test_any_entity_set_with_a_key_is_provisioned_the_same_way(server: XAPITestServer, pbx: XAPI) -> None:
    contact = server.state.records("Contacts")[7]
    rows = [
        {"email": contact["Email"], "first_name": "Renamed", "CompanyName": contact["CompanyName"]},
        {"email": "someone@new.example", "first_name": "New"},
    ]
    report = Provisioner(pbx, "contacts", key="Email").apply(rows)

    assert [(r.key, r.action, r.status) for r in report] == [
        (contact["Email"], "update", "ok"),
        ("someone@new.example", "create", "ok"),
    ]
    assert sorted((r.method, r.decoded_path, body(r)) for r in writes(server)) == [
        ("PATCH", f"/xapi/v1/Contacts({contact['Id']})", {"FirstName": "Renamed"}),
        ("POST", "/xapi/v1/Contacts", {"Email": "someone@new.example", "FirstName": "New"}),
    ]
    listed = [r.decoded_path for r in server.requests if r.decoded_path.startswith("/xapi/v1/Contacts?")]
    assert listed and all("$top=100" in p for p in listed)  # within the PBX's $top cap on contacts
