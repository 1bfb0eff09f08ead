"""The OData URL scanner: literals by form, quoting, percent-decoding, query options."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from threecx_xapi.testing._urls import (
    PathSyntaxError,
    QueryOptionError,
    classify,
    parse_datetime,
    parse_path,
    parse_query_string,
)


def test_plain_key_and_alternate_key_segments() -> None:
    (users,) = parse_path("/Users")
    assert users.name == "Users" and users.arguments is None
    (by_id,) = parse_path("/Users(29)")
    assert by_id.arguments is not None and by_id.arguments.positional[0].value == 29
    (by_number,) = parse_path("/Users(Number='100')")
    assert by_number.arguments is not None
    assert by_number.arguments.named[0][0] == "Number"
    assert by_number.arguments.named[0][1].kind == "string"
    assert by_number.arguments.named[0][1].value == "100"


def test_string_literal_with_doubled_quote_comma_paren_and_slash() -> None:
    (segment,) = parse_path("/Backups('O''Brien, (night)/1.zip')")
    assert segment.arguments is not None
    assert segment.arguments.positional[0].value == "O'Brien, (night)/1.zip"


def test_empty_call_differs_from_no_parentheses() -> None:
    first, second = parse_path("/Users/Pbx.ExportExtensions()")
    assert first.arguments is None
    assert second.name == "Pbx.ExportExtensions"
    assert second.arguments is not None and second.arguments.is_empty


def test_percent_decoding_happens_before_parsing() -> None:
    (segment,) = parse_path("/X(a%3D2024-12-01T00%3A00%3A00Z,b%3D%27x%2Fy%27)")
    assert segment.arguments is not None
    named = dict(segment.arguments.named)
    assert named["a"].value == datetime(2024, 12, 1, tzinfo=timezone.utc)
    assert named["b"].value == "x/y"


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("null", "null"),
        ("true", "bool"),
        ("-12", "int"),
        ("1.5", "decimal"),
        ("2024-12-01T00:00:00Z", "datetime"),
        ("2025-03-13T23:00:00.000+01:00", "datetime"),
        ("2024-12-01", "date"),
        ("2024-13-01T00:00:00Z", "bad-datetime"),
        ("2024-12-01 00:00:00Z", "bad-datetime"),
        ("12345678-1234-1234-1234-1234567890ab", "uuid"),
        ("abc", "word"),
    ],
)
def test_literal_kinds(token: str, kind: str) -> None:
    assert classify(token).kind == kind


def test_uuid_value() -> None:
    assert classify("12345678-1234-1234-1234-1234567890ab").value == uuid.UUID("12345678-1234-1234-1234-1234567890ab")


def test_datetime_offsets_and_fractions() -> None:
    moment = parse_datetime("2025-03-13T23:00:00.123456789+01:30")
    assert moment is not None
    assert moment.utcoffset() == timedelta(hours=1, minutes=30)
    assert moment.microsecond == 123456
    assert parse_datetime("2025-02-30T00:00:00Z") is None
    assert parse_datetime("2025-01-01T00:00:00") is None  # a zone is required


@pytest.mark.parametrize("path", ["/Users('open)", "/Users(1,2)", "/Users(a=1,2)", "/Us ers", "/Users(1)x"])
def test_malformed_paths(path: str) -> None:
    with pytest.raises(PathSyntaxError):
        parse_path(path)


def test_query_string_options_and_duplicates() -> None:
    system, other = parse_query_string("$top=5&$filter=Name%20eq%20%27a%2Bb%27&foo=1")
    assert system == {"$top": "5", "$filter": "Name eq 'a+b'"}
    assert other == {"foo": "1"}
    with pytest.raises(QueryOptionError, match="more than once"):
        parse_query_string("$select=Id&$select=Number")
    with pytest.raises(QueryOptionError, match="more than once"):
        parse_query_string("$top=1&$TOP=2")
    with pytest.raises(QueryOptionError, match="not supported"):
        parse_query_string("$bogus=1")
