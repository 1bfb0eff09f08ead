"""The call log seeded with N rows over March 2026, and a principal whose role may not read every area."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from threecx_xapi import XAPI, APIStatusError
from threecx_xapi.testing import SyncASGITransport, XAPITestServer

from .helpers import BASE, fetch_token, token_form

MARCH = datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 3, 31, 23, 59, 59, tzinfo=timezone.utc)


def _call_log(pbx: XAPI, start: datetime, end: datetime, **options: Any) -> Any:
    return pbx.report_call_log_data.get_call_log_data(
        period_from=start, period_to=end, source_type=0, source_filter=None, destination_type=0,
        destination_filter=None, calls_type=0, call_time_filter_type=0, call_time_filter_from=None,
        call_time_filter_to=None, hide_pcalls=False, **options,
    )  # fmt: skip


@pytest.mark.xapi_server(call_log_rows=250)
def test_the_call_log_holds_n_rows_over_march(xapi_server: XAPITestServer, xapi_client: XAPI) -> None:
    page = _call_log(xapi_client, *MARCH, top=100, count=True)
    assert page.count == 250
    items = page.items
    assert len(items) == 100
    assert items[0].start_time == datetime(2026, 3, 1, tzinfo=timezone.utc)
    everything = [row for row in _call_log(xapi_client, *MARCH, top=100).auto_paging()]
    assert len(everything) == 250
    assert len({row.cdr_id for row in everything}) == 250
    assert all(MARCH[0] <= row.start_time <= MARCH[1] for row in everything)
    first_week = _call_log(xapi_client, MARCH[0], datetime(2026, 3, 7, 23, 59, 59, tzinfo=timezone.utc), count=True)
    assert 0 < first_week.count < 250


@pytest.mark.xapi_server(call_log_rows=30)
def test_the_call_log_with_caps_and_faults(xapi_server: XAPITestServer, xapi_client: XAPI) -> None:
    xapi_server.faults.set_top_cap("ReportCallLogData", 10)
    rows = list(_call_log(xapi_client, *MARCH, top=25).auto_paging())
    assert len(rows) == 30
    xapi_server.faults.fail_next(503, path="GetCallLogData", retry_after=0)
    assert len(_call_log(xapi_client, *MARCH, top=5).items) == 5


def test_the_seeded_call_log_is_deterministic_and_downloadable() -> None:
    first, second = XAPITestServer(call_log_rows=12), XAPITestServer(call_log_rows=12)
    assert first.state.call_log() == second.state.call_log()
    assert XAPITestServer(call_log_rows=12, seed=1).state.call_log() != first.state.call_log()
    with httpx.Client(transport=SyncASGITransport(first.asgi_app), base_url=BASE) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, first)}"
        url = (
            "/xapi/v1/ReportCallLogData/Pbx.DownloadCallLog(periodFrom=2026-03-01T00:00:00Z,"
            "periodTo=2026-03-31T23:59:59Z,sourceType=0,sourceFilter=null,destinationType=0,destinationFilter=null,"
            "callsType=0,callTimeFilterType=0,callTimeFilterFrom=null,callTimeFilterTo=null,hidePcalls=false,"
            "clientTimeZone='Europe/London')"
        )
        response = client.get(url)
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 12 and rows[0]["StartTime"] == "2026-03-01T00:00:00.000Z"


@pytest.mark.parametrize(
    "path",
    [
        "/xapi/v1/CallHistoryView",
        "/xapi/v1/Recordings",
        "/xapi/v1/Backups",
        "/xapi/v1/ReportAuditLog/Pbx.GetAuditLogData()",
    ],
)
def test_a_lesser_role_gets_403_where_it_may_not_read(path: str) -> None:
    server = XAPITestServer(role="admin")
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, server)}"
        forbidden = client.get(path)
        assert forbidden.status_code == 403
        assert forbidden.content == b""
        assert client.get("/xapi/v1/Users?$top=1").status_code == 200


def test_roles_per_principal(server: XAPITestServer, anon: httpx.Client) -> None:
    server.add_client("helpdesk", "helpdesk-secret", role="admin")
    owner = anon.post("/connect/token", data=token_form(server)).json()["access_token"]
    admin_form = token_form(server, client_id="helpdesk", client_secret="helpdesk-secret")
    admin = anon.post("/connect/token", data=admin_form).json()["access_token"]
    assert anon.get("/xapi/v1/Backups", headers={"Authorization": f"Bearer {owner}"}).status_code == 200
    assert anon.get("/xapi/v1/Backups", headers={"Authorization": f"Bearer {admin}"}).status_code == 403
    with pytest.raises(ValueError, match="unknown role"):
        XAPITestServer(role="root")


def test_the_sdk_sees_403_as_a_permission_error() -> None:
    server = XAPITestServer(role="admin")
    with server.xapi(max_retries=0) as pbx, pytest.raises(APIStatusError) as caught:
        pbx.backups.list_backups()
    assert caught.value.status_code == 403
    server.close()
