"""The SDK against the test server: the real uvicorn server for the sync client, in-process for the rest."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import pytest

from threecx_xapi import XAPI, F, NotFoundError
from threecx_xapi.testing import XAPITestServer


def test_list_users_with_a_filter(xapi_server: XAPITestServer, xapi_client: XAPI) -> None:
    page = xapi_client.users.list_user(filter=F.Number.startswith("12"), orderby="Number desc", top=3, count=True)
    assert [u.number for u in page.items] == ["129", "128", "127"]
    assert page.count == 10
    request = xapi_server.requests.matching("/xapi/v1/Users")[-1]
    assert "startswith(Number,'12')" in request.decoded_path


def test_auto_paging_across_the_contacts_cap(
    xapi_server: XAPITestServer, xapi_client: XAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="threecx_xapi"):
        contacts = list(xapi_client.contacts.list_contact(top=500).auto_paging())
    ids = [c.id for c in contacts if isinstance(c.id, int)]
    assert len(ids) == 250 and sorted(ids) == list(range(1, 251))  # every contact exactly once
    tops = [r.decoded_path for r in xapi_server.requests.matching("/xapi/v1/Contacts")]
    assert "$top=500" in tops[0] and all("$top=100" in t for t in tops[1:])
    assert any("limits $top to 100" in r.getMessage() for r in caplog.records)


def test_group_create_patch_delete(xapi_client: XAPI) -> None:
    created = xapi_client.groups.create_group(body={"Name": "Night shift", "Number": "GRP0042"})
    assert created.id == 5 and created.name == "Night shift"
    xapi_client.groups.update_group(created.id, body={"Name": "Late shift", "Members": [{"Number": "100"}]})
    fetched = xapi_client.groups.get_group(created.id, expand="Members")
    assert fetched.name == "Late shift"
    assert isinstance(fetched.members, list)
    assert [m.number for m in fetched.members] == ["100"]
    xapi_client.groups.delete_group(created.id)
    with pytest.raises(NotFoundError):
        xapi_client.groups.get_group(created.id)


def test_the_sdk_retries_a_503(xapi_server: XAPITestServer, xapi_client: XAPI) -> None:
    xapi_server.faults.fail_next(503, path="/xapi/v1/Groups", retry_after=0)
    groups = xapi_client.groups.list_group()
    assert len(groups.items) == 4
    assert [r.method for r in xapi_server.requests.matching("/xapi/v1/Groups")] == ["GET", "GET"]


def test_the_sdk_gets_a_new_token_after_expiry(xapi_server: XAPITestServer, xapi_client: XAPI) -> None:
    assert xapi_client.users.get_user(1).number == "100"
    xapi_server.faults.expire_token()
    assert xapi_client.users.get_user(2).number == "101"
    assert len(xapi_server.requests.matching("/connect/token")) == 2


def test_function_parameters_from_the_sdk_are_accepted(xapi_client: XAPI) -> None:
    rows = xapi_client.report_call_log_data.get_call_log_data(
        datetime(2024, 12, 1, tzinfo=timezone.utc),
        datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
        0,
        "O'Brien",
        0,
        None,
        0,
        0,
        "0:00:0",
        "0:00:0",
        True,
        top=10,
    )
    assert len(rows.items) >= 1


def test_sync_client_in_process() -> None:
    server = XAPITestServer()
    try:
        with server.xapi() as pbx:
            user = pbx.users.get_user_by_number("142")
            assert user.id == 43
    finally:
        server.close()


def test_async_client_in_process() -> None:
    server = XAPITestServer()

    async def run() -> list[object]:
        async with server.async_xapi() as pbx:
            await pbx.users.update_user(1, body={"FirstName": "Ada"})
            page = await pbx.users.list_user(filter=F.Id.le(2), select=["Id", "FirstName"])
            return [u.first_name for u in page.items]

    assert asyncio.run(run()) == ["Ada", "Bruno"]


def test_a_dropped_connection_reaches_the_sdk_as_a_connection_error(xapi_server: XAPITestServer) -> None:
    from threecx_xapi import APIConnectionError

    with xapi_server.xapi(max_retries=0) as pbx:
        pbx.groups.list_group()  # token first
        xapi_server.faults.reset_next(path="/Groups")
        with pytest.raises(APIConnectionError, match="RemoteProtocolError"):
            pbx.groups.list_group()
