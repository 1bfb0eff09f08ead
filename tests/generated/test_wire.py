"""Exact wire behaviour of the generated operations: URL bytes, JSON bodies and headers, through httpx.MockTransport.

Every expected URL below is written from the rules in /work/shared/design/wire-facts.md (OData v4 literals: strings
single-quoted with ``'`` doubled, date-times unquoted ISO 8601 with ``Z`` or an offset, booleans ``true``/``false``,
functions keep their parameters in the document's order) plus percent-encoding of anything that could leave its path
segment or query option. The call-log URL is the one wire-facts.md quotes from a live PBX.

Calls go through the user's surface, ``pbx.<resource>.<operation>(...)`` on ``XAPI``/``AsyncXAPI`` with a static
token (so no token request is made); a few tests also read the endpoint module's ``build`` to pin that the wire URL
is exactly what it wrote.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import httpx
import pytest
from threecx_xapi_client.api.report_call_log_data import get_call_log_data
from threecx_xapi_client.api.users import export_extensions
from threecx_xapi_client.models.directory_parameters import DirectoryParameters
from threecx_xapi_client.models.i_action_result import IActionResult
from threecx_xapi_client.models.retreive_peers_request import RetreivePeersRequest
from threecx_xapi_client.models.user import User

from threecx_xapi import (
    XAPI,
    APIResponseValidationError,
    APIStatusError,
    AsyncXAPI,
    BadRequestError,
    File,
    SyncPage,
)
from threecx_xapi import _registry as registry

ROOT = "https://pbx.example.com"
UTC = dt.timezone.utc

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """An ``XAPI`` whose transport records every request and answers with ``reply``."""

    def __init__(self, reply: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.reply: Handler = reply or (lambda request: httpx.Response(200, json={"value": []}))
        self.pbx = XAPI(ROOT, token="t", http_client=httpx.Client(transport=httpx.MockTransport(self.handle)))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply(request)

    @property
    def only(self) -> httpx.Request:
        assert len(self.requests) == 1, self.requests
        return self.requests[0]

    @property
    def raw(self) -> str:
        return self.only.url.raw_path.decode("ascii")


def query_pairs(raw: str) -> list[tuple[str, str]]:
    """The query of a raw path as (name, decoded value) pairs, in order, splitting only on raw ``&`` and ``=``."""
    _, _, query = raw.partition("?")
    pairs = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        assert eq == "=", part
        pairs.append((unquote(name), unquote(value)))
    return pairs


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


def test_the_client_adds_auth_and_accept_and_nothing_to_the_url(rec: Recorder) -> None:
    rec.pbx.users.export_extensions(top=3, filter="Number eq '1'")
    assert rec.pbx.base_url == ROOT + "/xapi/v1"
    assert rec.raw == "/xapi/v1" + export_extensions.build(top=3, filter="Number eq '1'").url
    assert rec.only.url.host == "pbx.example.com"
    assert rec.only.headers["Authorization"] == "Bearer t"
    assert rec.only.headers["Accept"] == "application/json"
    assert "content-type" not in rec.only.headers
    assert rec.only.content == b""


# --- query options ----------------------------------------------------------------------------------------


def test_export_extensions_with_all_eight_options(rec: Recorder) -> None:
    rec.pbx.users.export_extensions(
        top=5,
        skip=10,
        search="front desk",
        filter="FirstName eq 'O''Brien'",
        count=True,
        select=["Id", "FirstName", "Number"],
        orderby=["Number asc"],
        expand=["Groups($expand=Rights)"],
    )
    assert rec.only.method == "GET"
    assert rec.raw == (
        "/xapi/v1/Users/Pbx.ExportExtensions()"
        "?$top=5&$skip=10&$search=%22front%20desk%22&$filter=FirstName%20eq%20'O''Brien'&$count=true"
        "&$select=Id,FirstName,Number&$orderby=Number%20asc&$expand=Groups($expand%3DRights)"
    )
    # and what the server reads back: each option once, lists comma-joined, the phrase double-quoted
    assert query_pairs(rec.raw) == [
        ("$top", "5"),
        ("$skip", "10"),
        ("$search", '"front desk"'),
        ("$filter", "FirstName eq 'O''Brien'"),
        ("$count", "true"),
        ("$select", "Id,FirstName,Number"),
        ("$orderby", "Number asc"),
        ("$expand", "Groups($expand=Rights)"),
    ]


def test_search_already_quoted_or_single_word_is_left_alone(rec: Recorder) -> None:
    rec.pbx.users.export_extensions(search='"front desk"')
    rec.pbx.users.export_extensions(search="desk")
    assert [r.url.raw_path for r in rec.requests] == [
        b"/xapi/v1/Users/Pbx.ExportExtensions()?$search=%22front%20desk%22",
        b"/xapi/v1/Users/Pbx.ExportExtensions()?$search=desk",
    ]


def test_function_without_parameters_keeps_parentheses_and_no_query(rec: Recorder) -> None:
    rec.pbx.users.export_extensions()
    assert rec.raw == "/xapi/v1/Users/Pbx.ExportExtensions()"


def test_filter_cannot_break_out_of_its_option(rec: Recorder) -> None:
    hostile = "Name eq 'a&$top=1#x+y=z%41'"
    rec.pbx.users.export_extensions(filter=hostile, top=2)
    assert rec.raw == (
        "/xapi/v1/Users/Pbx.ExportExtensions()?$top=2&$filter=Name%20eq%20'a%26$top%3D1%23x%2By%3Dz%2541'"
    )
    assert query_pairs(rec.raw) == [("$top", "2"), ("$filter", hostile)]


def test_backups_get_failover_scripts_with_five_options(rec: Recorder) -> None:
    rec.pbx.backups.get_failover_scripts(top=20, skip=40, search="nightly run", filter="Name eq 'x''y'", count=False)
    assert rec.raw == (
        "/xapi/v1/Backups/Pbx.GetFailoverScripts()"
        "?$top=20&$skip=40&$search=%22nightly%20run%22&$filter=Name%20eq%20'x''y'&$count=false"
    )


def test_negative_top_is_refused_before_sending(rec: Recorder) -> None:
    with pytest.raises(ValueError, match=r"\$top"):
        rec.pbx.users.export_extensions(top=-1)
    with pytest.raises(ValueError, match=r"\$skip"):
        rec.pbx.users.export_extensions(skip=-5)
    with pytest.raises(ValueError, match=r"\$top"):
        export_extensions.build(top=-1)
    assert rec.requests == []


# --- bodies -----------------------------------------------------------------------------------------------


def test_get_directory_info_posts_the_parameters_body(rec: Recorder) -> None:
    op = registry.operation("GetDirectoryInfo")
    assert (op["method"], op["path"], op["resource"], op["function"]) == (
        "POST",
        "/GetDirectoryInfo",
        "directories",
        "get_directory_info",
    )
    parameters = {"Filesystem": "Local", "Path": "/var/lib/3cxpbx", "Json": None}
    rec.reply = lambda request: httpx.Response(200, json={"Dirs": ["a", "b"], "Path": "/var/lib/3cxpbx"})
    result = rec.pbx.directories.get_directory_info(parameters=DirectoryParameters.from_dict(parameters))
    assert rec.only.method == "POST"
    assert rec.raw == "/xapi/v1/GetDirectoryInfo"
    assert rec.only.headers["content-type"] == "application/json"
    assert json.loads(rec.only.content) == {"parameters": parameters}
    assert result is not None
    assert result.dirs == ["a", "b"]
    assert result.path == "/var/lib/3cxpbx"


def test_retreive_peers_by_numbers_body(rec: Recorder) -> None:
    wire = {"peersRequest": {"DnNumbers": ["1234", "5678"], "IsReportPeers": True}}
    rec.reply = lambda request: httpx.Response(200, json={"value": [{"Number": "1234"}]})
    result = rec.pbx.peers.retreive_peers_by_numbers(peers_request=RetreivePeersRequest.from_dict(wire["peersRequest"]))
    assert rec.only.method == "POST"
    assert rec.raw == "/xapi/v1/Peers/Pbx.RetreivePeersByNumbers"
    assert rec.only.headers["content-type"] == "application/json"
    assert json.loads(rec.only.content) == wire
    assert b'"IsReportPeers":true' in rec.only.content.replace(b" ", b"")
    assert isinstance(result.value, list)
    assert [p.number for p in result.value] == ["1234"]


def test_a_body_the_schema_refuses_is_not_sent(rec: Recorder) -> None:
    with pytest.raises(ValueError, match=r"peersRequest\.DnNumbers"):
        rec.pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [1.5]})
    assert rec.requests == []


def test_patch_sends_only_the_fields_that_were_set(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(204)
    result = rec.pbx.users.update_user(29, body=User(first_name="Zoë"))  # type: ignore[func-returns-value]
    assert rec.only.method == "PATCH"
    assert rec.raw == "/xapi/v1/Users(29)"
    assert rec.only.headers["content-type"] == "application/json"
    assert json.loads(rec.only.content) == {"FirstName": "Zoë"}
    assert result is None


def test_patch_distinguishes_null_from_unset(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(204)
    raw = rec.pbx.users.with_raw_response.update_user(29, body=User(first_name=None, last_name="X"))
    assert json.loads(rec.only.content) == {"FirstName": None, "LastName": "X"}
    assert raw.status_code == 204
    assert raw.parsed is None


# --- keys, alternate keys, DELETE -------------------------------------------------------------------------


def test_string_key_with_quote_and_slash(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(200, json={})
    rec.pbx.backups.get_backup_extras("night'ly/2024.zip")
    assert rec.raw == "/xapi/v1/Backups('night''ly%2F2024.zip')/Pbx.GetBackupExtras()"
    assert rec.raw.count("/") == 4


def test_alternate_key(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(200, json={"Id": 29, "Number": "100"})
    user = rec.pbx.users.get_user_by_number("100")
    assert rec.raw == "/xapi/v1/Users(Number='100')"
    assert (user.id, user.number) == (29, "100")


def test_alternate_key_with_select(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(200, json={"Id": 29})
    rec.pbx.users.get_user_by_number("O'Neil 1", select=["Id", "Number"])
    assert rec.raw == "/xapi/v1/Users(Number='O''Neil%201')?$select=Id,Number"


def test_delete_with_if_match(rec: Recorder) -> None:
    op = registry.operation("DeleteBackups")
    assert [p["name"] for p in op["parameters"] if p["location"] == "header"] == ["If-Match"]
    rec.reply = lambda request: httpx.Response(204)
    assert rec.pbx.backups.delete_backups("old.zip", if_match='W/"abc"') is None  # type: ignore[func-returns-value]
    assert rec.only.method == "DELETE"
    assert rec.raw == "/xapi/v1/Backups('old.zip')"
    assert rec.only.headers["If-Match"] == 'W/"abc"'
    assert rec.only.content == b""


def test_delete_without_if_match_sends_no_header(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(204)
    rec.pbx.users.delete_user(29)
    assert rec.only.method == "DELETE"
    assert rec.raw == "/xapi/v1/Users(29)"
    assert "if-match" not in rec.only.headers


# --- function parameters ----------------------------------------------------------------------------------


def test_call_log_matches_the_live_pbx_example(rec: Recorder) -> None:
    rec.pbx.report_call_log_data.get_call_log_data(
        dt.datetime(2024, 12, 1, tzinfo=UTC),
        dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
        0,
        "",
        0,
        "",
        0,
        0,
        "0:00:0",
        "0:00:0",
        True,
        top=100,
        skip=0,
        orderby=["SegmentId desc"],
    )
    expected = (
        "/xapi/v1/ReportCallLogData/Pbx.GetCallLogData(periodFrom=2024-12-01T00:00:00Z,periodTo=2024-12-31T23:59:59Z,"
        "sourceType=0,sourceFilter='',destinationType=0,destinationFilter='',callsType=0,callTimeFilterType=0,"
        "callTimeFilterFrom='0:00:0',callTimeFilterTo='0:00:0',hidePcalls=true)?$top=100&$skip=0&$orderby=SegmentId%20desc"
    )
    assert rec.raw == expected
    # wire-facts.md writes the live request with a literal space; it is the same URL once decoded
    assert unquote(rec.raw) == (
        "/xapi/v1/ReportCallLogData/Pbx.GetCallLogData(periodFrom=2024-12-01T00:00:00Z,periodTo=2024-12-31T23:59:59Z,"
        "sourceType=0,sourceFilter='',destinationType=0,destinationFilter='',callsType=0,callTimeFilterType=0,"
        "callTimeFilterFrom='0:00:0',callTimeFilterTo='0:00:0',hidePcalls=true)"
        "?$top=100&$skip=0&$orderby=SegmentId desc"
    )


CALL_LOG: dict[str, Any] = {
    "period_from": dt.datetime(2024, 12, 1, tzinfo=UTC),
    "period_to": dt.datetime(2024, 12, 31, tzinfo=UTC),
    "source_type": 0,
    "source_filter": "",
    "destination_type": 0,
    "destination_filter": "",
    "calls_type": 0,
    "call_time_filter_type": 0,
    "call_time_filter_from": "0:00:0",
    "call_time_filter_to": "0:00:0",
    "hide_pcalls": False,
}


def call_log(rec: Recorder, **overrides: Any) -> None:
    rec.pbx.report_call_log_data.get_call_log_data(**{**CALL_LOG, **overrides})


def test_function_literals_null_empty_and_false(rec: Recorder) -> None:
    overrides: dict[str, Any] = {
        "source_filter": None,
        "destination_filter": "",
        "hide_pcalls": False,
        "call_time_filter_to": "1:30:0",
    }
    call_log(rec, **overrides)
    expected = (
        "/ReportCallLogData/Pbx.GetCallLogData(periodFrom=2024-12-01T00:00:00Z,periodTo=2024-12-31T00:00:00Z,"
        "sourceType=0,sourceFilter=null,destinationType=0,destinationFilter='',callsType=0,callTimeFilterType=0,"
        "callTimeFilterFrom='0:00:0',callTimeFilterTo='1:30:0',hidePcalls=false)"
    )
    assert rec.raw == "/xapi/v1" + expected
    assert get_call_log_data.build(**{**CALL_LOG, **overrides}).url == expected


def test_extension_statistics_by_group(rec: Recorder) -> None:
    rec.pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(
        "800",
        dt.datetime(2026, 3, 4, tzinfo=UTC),
        dt.datetime(2026, 3, 5, 12, 30, 15, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        2,
        top=50,
    )
    assert rec.raw == (
        "/xapi/v1/ReportExtensionStatisticsByGroup/Pbx.GetExtensionStatisticsByGroupData("
        "groupNumber='800',periodFrom=2026-03-04T00:00:00Z,periodTo=2026-03-05T12:30:15-05:00,callArea=2)?$top=50"
    )


def test_positive_offset_microseconds_and_zoneinfo(rec: Recorder) -> None:
    rec.pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(
        None,
        dt.datetime(2025, 3, 13, 23, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        dt.datetime(2025, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam")),
        0,
    )
    # "+" is percent-encoded (a raw "+" is read as a space by some decoders); the literal is unquoted
    assert rec.raw == (
        "/xapi/v1/ReportExtensionStatisticsByGroup/Pbx.GetExtensionStatisticsByGroupData("
        "groupNumber=null,periodFrom=2025-03-13T23:00:00.000500%2B05:30,periodTo=2025-07-01T09:00:00%2B02:00,callArea=0)"
    )


def test_naive_datetime_is_refused_before_sending(rec: Recorder) -> None:
    with pytest.raises(ValueError, match="naive"):
        call_log(rec, period_from=dt.datetime(2024, 12, 1))
    with pytest.raises(ValueError, match="period_to"):
        call_log(rec, period_to=dt.datetime(2024, 12, 1))
    assert rec.requests == []


def test_none_for_non_nullable_string_is_refused(rec: Recorder) -> None:
    with pytest.raises(ValueError, match="file_name"):
        rec.pbx.backups.get_backup_extras(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="number"):
        rec.pbx.contacts.get_contacts_by_number(None)  # type: ignore[arg-type]
    assert rec.requests == []


def test_wrong_types_are_refused(rec: Recorder) -> None:
    with pytest.raises(TypeError):
        call_log(rec, source_type=True)
    with pytest.raises(TypeError):
        call_log(rec, hide_pcalls=1)
    with pytest.raises(TypeError):
        call_log(rec, period_from=dt.date(2024, 12, 1))
    with pytest.raises(ValueError, match="int32"):
        call_log(rec, calls_type=2**31)
    with pytest.raises(ValueError):
        rec.pbx.users.export_extensions(select=[])
    assert rec.requests == []


def test_nullable_alternate_key_none_is_null(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(200, json={})
    rec.pbx.users.get_user_by_number(None)
    assert rec.raw == "/xapi/v1/Users(Number=null)"


# --- downloads --------------------------------------------------------------------------------------------


def test_download_answering_a_file(rec: Recorder) -> None:
    assert registry.operation("DownloadRecording")["response"]["file"] is True
    audio = b"RIFF\x24\x00\x00\x00WAVEfmt \x00\xff"
    rec.reply = lambda request: httpx.Response(
        200,
        content=audio,
        headers={"Content-Type": "audio/wav", "Content-Disposition": 'attachment; filename="rec 42.wav"'},
    )
    result = rec.pbx.recordings.download_recording(42)
    assert rec.raw == "/xapi/v1/Recordings/Pbx.DownloadRecording(recId=42)"
    assert isinstance(result, File)
    assert result.payload.read() == audio
    assert result.mime_type == "audio/wav"
    assert result.file_name == "rec 42.wav"


@pytest.mark.parametrize(
    "disposition",
    [
        "attachment; filename*=UTF-8''r%C3%A9c%20a.wav",
        "attachment; filename=r_c a.wav; filename*=UTF-8''r%C3%A9c%20a.wav",
    ],
)
def test_download_file_name_from_rfc5987_filename_star(rec: Recorder, disposition: str) -> None:
    rec.reply = lambda request: httpx.Response(
        200, content=b"x", headers={"Content-Type": "audio/wav", "Content-Disposition": disposition}
    )
    result = rec.pbx.recordings.download_recording(1)
    assert isinstance(result, File)
    assert result.file_name == "réc a.wav"


def test_download_without_disposition(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(200, content=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    result = rec.pbx.users.export_extensions()
    assert isinstance(result, File)
    assert result.payload.read() == b"a,b\n1,2\n"
    assert (result.mime_type, result.file_name) == ("text/csv", None)


def test_download_answering_json_gives_the_model(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(200, json={"Status": "ok"})
    result = rec.pbx.recordings.download_recording(42)
    assert isinstance(result, IActionResult)
    assert result.to_dict() == {"Status": "ok"}


def test_export_answering_json_gives_the_collection(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(
        200, json={"@odata.count": 1, "value": [{"Id": 1}]}, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    result = rec.pbx.users.export_extensions(count=True)
    assert isinstance(result, SyncPage)
    assert result.count == 1
    assert [u.id for u in result.items] == [1]
    assert [u.id for u in result] == [1]
    assert rec.raw == "/xapi/v1/Users/Pbx.ExportExtensions()?$count=true"  # one page: the count is reached


def test_json_2xx_that_is_not_json_raises_instead_of_returning_none(rec: Recorder) -> None:
    rec.reply = lambda request: httpx.Response(
        200, content=b"<html>login</html>", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(APIResponseValidationError, match="not valid JSON") as info:
        rec.pbx.users.get_user_by_number("100")
    assert info.value.status_code == 200
    assert info.value.excerpt == "<html>login</html>"


# --- asyncio ----------------------------------------------------------------------------------------------


def test_asyncio_sends_the_same_url_and_raises_the_same_way() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "PATCH":
            return httpx.Response(400, json={"error": {"code": "", "message": "FirstName:\nWARNINGS.X"}})
        return httpx.Response(200, json={"Id": 29, "Number": "100"})

    async def run() -> tuple[User, BadRequestError]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            pbx = AsyncXAPI(ROOT, token="t", http_client=http)
            user = await pbx.users.get_user_by_number("1'0 0")
            with pytest.raises(BadRequestError) as info:
                await pbx.users.update_user(29, body=User(first_name="A"))
            return user, info.value

    user, exc = asyncio.run(run())
    assert [r.url.raw_path for r in seen] == [b"/xapi/v1/Users(Number='1''0%200')", b"/xapi/v1/Users(29)"]
    assert json.loads(seen[1].content) == {"FirstName": "A"}
    assert user.id == 29
    assert isinstance(exc, APIStatusError)
    assert exc.status_code == 400
    assert exc.message == "FirstName:\nWARNINGS.X"
