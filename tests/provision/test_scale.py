"""A 500-row file end to end: plan counts, apply, a re-apply that writes nothing, and an apply interrupted by
injected faults whose re-run completes every row exactly once."""

from __future__ import annotations

import csv
from pathlib import Path

from threecx_xapi import XAPI
from threecx_xapi.provision import Provisioner, read_rows
from threecx_xapi.testing import XAPITestServer

from .conftest import writes

ROWS = 500


def write_file(tmp_path: Path) -> Path:
    """500 new users with numbers, e-mail addresses, a group and a role; every 50th without a number."""
    path = tmp_path / "users.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Number", "first_name", "LastName", "EmailAddress", "group", "role"])
        for n in range(ROWS):
            number = "" if n % 50 == 49 else str(3000 + n)
            group, role = ("Sales", "users") if n % 2 else ("Support", "managers")
            out.writerow([number, f"First{n}", f"Last{n}", f"user{n}@example.com", group, role])
    return path


def test_five_hundred_rows_plan_apply_and_reapply(server: XAPITestServer, pbx: XAPI, tmp_path: Path) -> None:
    rows = read_rows(write_file(tmp_path))
    provisioner = Provisioner(pbx, "users")
    before = len(server.state.records("Users"))

    plan = provisioner.plan(rows)
    assert plan.counts == {"create": ROWS, "update": 0, "unchanged": 0, "conflict": 0, "delete": 0}
    assert writes(server) == []

    report = provisioner.apply(plan)
    assert report.counts == {"ok": ROWS, "failed": 0, "skipped": 0}
    assert len(writes(server)) == ROWS
    assert len(server.state.records("Users")) == before + ROWS

    again = provisioner.apply(rows)
    assert [r.action for r in again] == ["unchanged"] * ROWS
    assert len(writes(server)) == ROWS  # not one write more


def test_an_interrupted_apply_is_completed_by_a_rerun_exactly_once_per_row(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path
) -> None:
    rows = read_rows(write_file(tmp_path))
    provisioner = Provisioner(pbx, "users")
    before = len(server.state.records("Users"))
    plan = provisioner.plan(rows)
    server.faults.fail_next(400, method="POST", count=7)  # refused: nothing created
    server.faults.reset_next(method="POST", count=5)  # created, but the answer is lost
    server.faults.fail_next(503, method="POST", count=3)  # a POST is not replayed: nothing created

    first = provisioner.apply(plan)
    assert first.counts == {"ok": ROWS - 15, "failed": 15, "skipped": 0}

    replanned = provisioner.plan(rows)
    assert replanned.counts == {"create": 10, "update": 0, "unchanged": ROWS - 10, "conflict": 0, "delete": 0}
    second = provisioner.apply(rows)
    assert second.ok
    created_again = {r.row for r in second if r.action == "create"}
    assert len(created_again) == 10
    assert created_again <= {r.row for r in first if r.status == "failed"}

    users = server.state.records("Users")
    assert len(users) == before + ROWS
    emails = [u.get("EmailAddress") for u in users]
    assert all(emails.count(f"user{n}@example.com") == 1 for n in range(ROWS))
    numbers = [u["Number"] for u in users]
    assert len(set(numbers)) == len(numbers)
    third = provisioner.apply(rows)
    assert {r.action for r in third} == {"unchanged"}
