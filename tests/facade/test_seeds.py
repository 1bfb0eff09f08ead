"""The five calls the issue grew from (shared/seeds), each made through XAPI and AsyncXAPI: exact bytes on the wire."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from threecx_xapi import F

UTC = timezone.utc
MODES = ["sync", "async"]


def call(mode: str, fake: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn(pbx)`` on an XAPI, or awaited on an AsyncXAPI: the two take the same arguments."""
    if mode == "sync":
        with fake.client() as pbx:
            return fn(pbx)

    async def main() -> Any:
        async with fake.async_client() as pbx:
            return await fn(pbx)

    return asyncio.run(main())


def assert_authorized(fake: Any) -> None:
    assert len(fake.token_requests) == 1
    for request in fake.api_requests:
        assert fake.bearer(request) == fake.tokens[0]
        assert request.headers["Accept"] == "application/json"


# --- 000: Users / ExportExtensions with every query option -----------------------------------------------------

EXPORT_PATH = (
    b"/xapi/v1/Users/Pbx.ExportExtensions()?$top=50&$skip=0&$search=%22front%20desk%22"
    b"&$filter=State%20eq%20'Connected'&$count=true&$select=Id,Number&$orderby=Number%20desc&$expand=Groups"
)


@pytest.mark.parametrize("mode", MODES)
def test_export_extensions_sends_every_query_option(make_fake: Any, mode: str) -> None:
    users = [{"Id": 1, "Number": "100"}, {"Id": 2, "Number": "101"}]
    fake = make_fake(lambda request: {"@odata.context": "$metadata#Users", "@odata.count": 2, "value": users})

    page = call(
        mode,
        fake,
        lambda pbx: pbx.users.export_extensions(
            top=50,
            skip=0,
            filter=F.State == "Connected",
            search="front desk",
            select=["Id", "Number"],
            orderby="Number desc",
            expand="Groups",
            count=True,
        ),
    )

    assert [r.method for r in fake.api_requests] == ["GET"]
    assert fake.paths == [EXPORT_PATH]
    assert fake.query(fake.last()) == {
        "$top": "50",
        "$skip": "0",
        "$search": '"front desk"',
        "$filter": "State eq 'Connected'",
        "$count": "true",
        "$select": "Id,Number",
        "$orderby": "Number desc",
        "$expand": "Groups",
    }
    assert fake.last().content == b""
    assert [(u.id, u.number) for u in page.items] == [(1, "100"), (2, "101")]
    assert page.count == 2
    assert not page.has_next_page()  # 2 < $top: the last page
    assert_authorized(fake)


# --- 001: GetDirectoryInfo with a JSON object parameter --------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "parameters",
    [{"Filesystem": "Local", "Path": "/"}, '{"Filesystem": "Local", "Path": "/"}'],
    ids=["dict", "json-string"],
)
def test_get_directory_info_sends_the_parameters_object(make_fake: Any, mode: str, parameters: Any) -> None:
    fake = make_fake(lambda request: {"Path": "/", "Dirs": ["etc", "var"]})

    directory = call(mode, fake, lambda pbx: pbx.directories.get_directory_info(parameters=parameters))

    request = fake.last()
    assert (request.method, request.url.raw_path) == ("POST", b"/xapi/v1/GetDirectoryInfo")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"parameters": {"Filesystem": "Local", "Path": "/"}}
    assert directory.path == "/"
    assert directory.dirs == ["etc", "var"]
    assert_authorized(fake)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("text", ['{"Filesystem": "Local", "Path": ', "[1, 2]", '"Local"'])
def test_get_directory_info_refuses_bad_json_before_sending(make_fake: Any, mode: str, text: str) -> None:
    fake = make_fake()

    with pytest.raises(ValueError, match="parameters"):
        call(mode, fake, lambda pbx: pbx.directories.get_directory_info(parameters=text))

    assert fake.requests == []  # not even a token was asked for


# --- 002: Backups / GetFailoverScripts with a $search phrase ---------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_get_failover_scripts_quotes_a_search_phrase(make_fake: Any, mode: str) -> None:
    fake = make_fake(lambda request: {"value": [{"Filename": "nightly backup.sh"}]})

    page = call(mode, fake, lambda pbx: pbx.backups.get_failover_scripts(top=10, search="nightly backup"))

    raw = fake.last().url.raw_path
    assert raw == b"/xapi/v1/Backups/Pbx.GetFailoverScripts()?$top=10&$search=%22nightly%20backup%22"
    assert unquote(raw.split(b"$search=")[1].decode()) == '"nightly backup"'
    assert fake.query(fake.last()) == {"$top": "10", "$search": '"nightly backup"'}
    assert [script.filename for script in page.items] == ["nightly backup.sh"]
    assert_authorized(fake)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("search", "sent"),
    [("nightly", "nightly"), ('"nightly backup"', '"nightly backup"'), ("a&b=c", "a&b=c")],
    ids=["one-word", "already-quoted", "reserved-characters"],
)
def test_search_is_quoted_only_when_needed_and_always_encoded(
    make_fake: Any, mode: str, search: str, sent: str
) -> None:
    fake = make_fake()

    call(mode, fake, lambda pbx: pbx.backups.get_failover_scripts(search=search))

    assert fake.query(fake.last()) == {"$search": sent}
    assert b"&b=" not in fake.last().url.raw_path


# --- 003: Peers / RetreivePeersByNumbers with numbers where the schema has strings -----------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "peers_request", [{"DnNumbers": [1234, 5678]}, '{"DnNumbers": [1234, 5678]}'], ids=["dict", "json-string"]
)
def test_retreive_peers_by_numbers_sends_dn_numbers_as_strings(make_fake: Any, mode: str, peers_request: Any) -> None:
    peers = [{"Id": 1, "Number": "1234", "Name": "Front desk"}, {"Id": 2, "Number": "5678", "Name": "Back office"}]
    fake = make_fake(lambda request: {"@odata.context": "$metadata#Peers", "value": peers})

    result = call(mode, fake, lambda pbx: pbx.peers.retreive_peers_by_numbers(peers_request=peers_request))

    request = fake.last()
    assert (request.method, request.url.raw_path) == ("POST", b"/xapi/v1/Peers/Pbx.RetreivePeersByNumbers")
    assert json.loads(request.content) == {"peersRequest": {"DnNumbers": ["1234", "5678"]}}
    assert [(peer.number, peer.name) for peer in result.value] == [("1234", "Front desk"), ("5678", "Back office")]
    assert_authorized(fake)


@pytest.mark.parametrize("mode", MODES)
def test_retreive_peers_refuses_a_lossy_number_before_sending(make_fake: Any, mode: str) -> None:
    fake = make_fake()

    with pytest.raises(ValueError, match=r"DnNumbers\[1\]"):
        call(mode, fake, lambda pbx: pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1234, 56.5]}))

    assert fake.requests == []


# --- 004: ReportExtensionStatisticsByGroup with function parameters --------------------------------------------

STATS_PATH = (
    b"/xapi/v1/ReportExtensionStatisticsByGroup/Pbx.GetExtensionStatisticsByGroupData("
    b"groupNumber='GRP0000',periodFrom=2026-03-04T00:00:00Z,periodTo={to},callArea=0)?$top=100"
)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("period_to", "wire"),
    [
        (datetime(2026, 3, 5, tzinfo=UTC), b"2026-03-05T00:00:00Z"),
        (datetime(2026, 3, 4, 23, 59, 59, tzinfo=timezone(timedelta(hours=1))), b"2026-03-04T23:59:59%2B01:00"),
    ],
    ids=["utc", "offset"],
)
def test_extension_statistics_by_group_sends_function_parameters_in_order(
    make_fake: Any, mode: str, period_to: datetime, wire: bytes
) -> None:
    rows = [{"Dn": "100", "DisplayName": "Ada", "InboundAnsweredCount": 7}, {"Dn": "101", "DisplayName": "Bob"}]
    fake = make_fake(lambda request: {"value": rows})

    page = call(
        mode,
        fake,
        lambda pbx: pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(
            group_number="GRP0000",
            period_from=datetime(2026, 3, 4, tzinfo=UTC),
            period_to=period_to,
            call_area=0,
            top=100,
        ),
    )

    assert [r.method for r in fake.api_requests] == ["GET"]
    assert fake.paths == [STATS_PATH.replace(b"{to}", wire)]
    assert [(row.dn, row.display_name) for row in page.items] == [("100", "Ada"), ("101", "Bob")]
    assert page.items[0].inbound_answered_count == 7
    assert_authorized(fake)


@pytest.mark.parametrize("mode", MODES)
def test_extension_statistics_refuses_a_naive_datetime_before_sending(make_fake: Any, mode: str) -> None:
    fake = make_fake()

    with pytest.raises(ValueError, match="naive"):
        call(
            mode,
            fake,
            lambda pbx: pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(
                group_number="GRP0000",
                period_from=datetime(2026, 3, 4),
                period_to=datetime(2026, 3, 5, tzinfo=UTC),
                call_area=0,
            ),
        )

    assert fake.requests == []


def test_seed_bodies_are_identical_sync_and_async(make_fake: Any) -> None:
    """The two clients share one request pipeline: the same call puts the same bytes on the wire."""
    sent: dict[str, list[tuple[str, bytes, bytes]]] = {}
    for mode in MODES:
        fake = make_fake(lambda request: httpx.Response(200, json={"value": []}))
        call(mode, fake, lambda pbx: pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1, 2]}))
        call(mode, fake, lambda pbx: pbx.backups.get_failover_scripts(top=10, search="nightly backup"))
        sent[mode] = [(r.method, r.url.raw_path, r.content) for r in fake.api_requests]
    assert sent["sync"] == sent["async"]
