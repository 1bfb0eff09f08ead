"""Property tests: whatever a caller passes, the URL on the wire decodes back to exactly that value.

The URL is read the way a server reads it: split the raw path on raw ``/``, ``(``...``)``, ``,`` and ``=``, then
percent-decode, strip the single quotes and undouble ``''``. Nothing a value contains may add or remove a path
segment, a function parameter or a query option.

Each value is sent through ``XAPI`` (``pbx.<resource>.<operation>(...)``) and the raw path on the wire must be
``/xapi/v1`` followed by exactly the URL the endpoint module's ``build`` wrote: the client neither adds to it nor
re-encodes it.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote, unquote_plus

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threecx_xapi_client.api.backups import get_backup_extras
from threecx_xapi_client.api.dn_properties import get_dn_property_by_name
from threecx_xapi_client.api.report_extension_statistics_by_group import get_extension_statistics_by_group_data
from threecx_xapi_client.api.users import export_extensions, get_user_by_number

from threecx_xapi import XAPI
from threecx_xapi._endpoint import EndpointRequest

ROOT = "https://pbx.example.com"
UTC = dt.timezone.utc
# RFC 3986 path characters: unreserved, sub-delims, ":", "@", "/" and percent-escapes. Nothing else may be raw.
PATH_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*")
# The document's own pattern for every date-time path parameter.
DOC_DATETIME = re.compile(
    r"^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?"
    r"(Z|[+-][0-9][0-9]:[0-9][0-9])$"
)
HOSTILE = "'/?#%,()= +&;$@:\"\\[]{}\x00\n\té☃😀"

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(HOSTILE), max_size=12),
    st.text(alphabet=st.one_of(st.sampled_from(HOSTILE), st.characters(codec="utf-8")), max_size=30),
)

minute_offsets = st.builds(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1),
)
second_offsets = st.builds(
    lambda seconds: dt.timezone(dt.timedelta(seconds=seconds)),
    st.integers(min_value=-(24 * 3600 - 1), max_value=24 * 3600 - 1).filter(lambda s: s % 60 != 0),
)
aware = st.datetimes(
    min_value=dt.datetime(1, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.one_of(st.just(UTC), minute_offsets),
)


class Wire:
    """An ``XAPI`` with a static token whose transport records each request (one per call) and answers 200."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.pbx = XAPI(ROOT, token="t", http_client=httpx.Client(transport=httpx.MockTransport(self.handle)))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"value": []})

    def last_raw(self, built: EndpointRequest) -> str:
        """The raw path of the one request sent: exactly ``/xapi/v1`` and what the endpoint's ``build`` wrote."""
        assert len(self.requests) == 1
        raw = self.requests.pop().url.raw_path.decode("ascii")
        assert raw == "/xapi/v1" + built.url
        path = raw.partition("?")[0]
        assert PATH_CHARS.fullmatch(path), raw
        assert "#" not in raw
        return raw


WIRE = Wire()


def parse_string_literal(segment: str) -> str:
    """A raw (percent-encoded) OData string literal back to its value; fails on anything that is not one."""
    text = unquote(segment, errors="strict")
    assert len(text) >= 2 and text[0] == "'" and text[-1] == "'", segment
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "'":
            assert body[i + 1 : i + 2] == "'", f"lone quote in {segment!r}"
            i += 2
            out.append("'")
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def function_args(segment: str, name: str) -> list[tuple[str, str]]:
    """``Pbx.F(a=1,b='x')`` -> [("a", "1"), ("b", "'x'")], splitting only on raw ``,`` and the first raw ``=``."""
    prefix = f"Pbx.{name}("
    assert segment.startswith(prefix) and segment.endswith(")"), segment
    args = []
    for part in segment[len(prefix) : -1].split(","):
        key, eq, value = part.partition("=")
        assert eq == "=", part
        args.append((key, value))
    return args


def parse_datetime_literal(raw: str) -> dt.datetime:
    text = unquote(raw, errors="strict")
    assert DOC_DATETIME.match(text), text
    return dt.datetime.fromisoformat(text)


# --- strings ----------------------------------------------------------------------------------------------


@SETTINGS
@given(value=hostile_text)
def test_string_key_round_trips(value: str) -> None:
    WIRE.pbx.backups.get_backup_extras(value)
    raw = WIRE.last_raw(get_backup_extras.build(value))
    parts = raw.split("/")
    assert len(parts) == 5, raw
    assert parts[:3] == ["", "xapi", "v1"]
    assert parts[4] == "Pbx.GetBackupExtras()"
    assert parts[3].startswith("Backups(") and parts[3].endswith(")")
    assert parse_string_literal(parts[3][len("Backups(") : -1]) == value


@SETTINGS
@given(value=hostile_text)
def test_alternate_key_round_trips(value: str) -> None:
    WIRE.pbx.users.get_user_by_number(value)
    raw = WIRE.last_raw(get_user_by_number.build(value))
    parts = raw.split("/")
    assert len(parts) == 4, raw
    assert parts[:3] == ["", "xapi", "v1"]
    assert parts[3].startswith("Users(Number=") and parts[3].endswith(")")
    assert parse_string_literal(parts[3][len("Users(Number=") : -1]) == value


@SETTINGS
@given(dn=hostile_text, name=hostile_text)
def test_two_function_string_parameters_round_trip(dn: str, name: str) -> None:
    WIRE.pbx.dn_properties.get_dn_property_by_name(dn, name)
    raw = WIRE.last_raw(get_dn_property_by_name.build(dn, name))
    parts = raw.split("/")
    assert len(parts) == 5, raw
    assert parts[:4] == ["", "xapi", "v1", "DNProperties"]
    args = function_args(parts[4], "GetDNPropertyByName")
    assert [k for k, _ in args] == ["dnNumber", "name"]
    assert [parse_string_literal(v) for _, v in args] == [dn, name]


@SETTINGS
@given(group=hostile_text, start=aware, end=aware)
def test_function_string_and_datetimes_round_trip(group: str, start: dt.datetime, end: dt.datetime) -> None:
    WIRE.pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(group, start, end, 3)
    raw = WIRE.last_raw(get_extension_statistics_by_group_data.build(group, start, end, 3))
    parts = raw.split("/")
    assert len(parts) == 5, raw
    assert parts[:4] == ["", "xapi", "v1", "ReportExtensionStatisticsByGroup"]
    args = dict(function_args(parts[4], "GetExtensionStatisticsByGroupData"))
    assert list(args) == ["groupNumber", "periodFrom", "periodTo", "callArea"]
    assert parse_string_literal(args["groupNumber"]) == group
    assert args["callArea"] == "3"
    for value, literal in ((start, args["periodFrom"]), (end, args["periodTo"])):
        assert "'" not in literal
        back = parse_datetime_literal(literal)
        assert back == value
        assert back.utcoffset() == value.utcoffset()
        assert unquote(literal).endswith("Z") == (value.utcoffset() == dt.timedelta(0))


@SETTINGS
@given(
    start=st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2100, 1, 1), timezones=second_offsets)
)
def test_datetime_with_sub_minute_offset_is_valid_odata(start: dt.datetime) -> None:
    try:
        WIRE.pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data("1", start, start, 0)
    except ValueError:
        assert WIRE.requests == []  # refusing it before sending is acceptable too
        return
    raw = WIRE.last_raw(get_extension_statistics_by_group_data.build("1", start, start, 0))
    args = dict(function_args(raw.split("/")[4], "GetExtensionStatisticsByGroupData"))
    assert parse_datetime_literal(args["periodFrom"]) == start


# --- query options ----------------------------------------------------------------------------------------


@SETTINGS
@given(expression=hostile_text.filter(lambda s: s.strip() != ""))
def test_filter_round_trips_as_one_query_option(expression: str) -> None:
    WIRE.pbx.users.export_extensions(filter=expression, top=1)
    raw = WIRE.last_raw(export_extensions.build(filter=expression, top=1))
    path, _, query = raw.partition("?")
    assert path == "/xapi/v1/Users/Pbx.ExportExtensions()"
    options = query.split("&")
    assert len(options) == 2, raw
    assert options[0] == "$top=1"
    name, _, value = options[1].partition("=")
    assert name == "$filter"
    assert "+" not in value  # a raw "+" would read back as a space
    assert unquote_plus(value, errors="strict") == expression
