"""The client compares the PBX's X-3CX-Version with the XAPI version it was generated for, and warns once."""

from __future__ import annotations

import sys

import httpx
import pytest

from threecx_xapi import XAPI, _version
from threecx_xapi._version import XAPIVersionWarning


@pytest.fixture(autouse=True)
def fresh_warning_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_version, "_warned", False)
    monkeypatch.setattr(_version, "_last_ok", None)


def client(version: str) -> XAPI:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, json={"Id": 1, "Number": "100"}, headers={"X-3CX-Version": version})

    return XAPI("https://pbx.example.com", token="t", http_client=httpx.Client(transport=httpx.MockTransport(answer)))


def test_a_newer_pbx_is_reported_once() -> None:
    pbx = client("20.0.11.42")
    with pytest.warns(XAPIVersionWarning, match=r"20\.0\.11") as caught:
        pbx.users.get_user(1)
        pbx.users.get_user(1)
    assert len(caught) == 1


def test_the_same_version_is_silent(recwarn: pytest.WarningsRecorder) -> None:
    pbx = client(str(_version.XAPI_VERSION) + ".123")
    assert pbx.users.get_user(1).number == "100"
    assert not [w for w in recwarn if issubclass(w.category, XAPIVersionWarning)]


@pytest.mark.parametrize("hostile", ["9" * 5000, "20." + "1" * 5000 + ".0", "\x00" * 100, "20.0.10" + "9" * 4000])
def test_a_hostile_header_never_fails_the_call(hostile: str, recwarn: pytest.WarningsRecorder) -> None:
    pbx = client(hostile)
    assert pbx.users.get_user(1).number == "100"
    parsed = _version.parse_xapi_version(hostile)
    assert parsed is None or all(part < 10**9 for part in parsed)
    message = _version.check_server_version(hostile)
    assert message is None or len(message) < 500


def test_the_warning_shows_the_header_escaped_and_short() -> None:
    message = _version.check_server_version("21.0.0 \r\n\x1b[31m" + "x" * 500)
    assert message is not None
    assert "\r" not in message and "\n" not in message and "\x1b" not in message
    assert "\\r\\n\\x1b[31m" in message
    assert "x" * 100 not in message


def paged_client() -> XAPI:
    """Users 1..5 in pages of 2; the first page names the generated XAPI, later ones another."""

    def answer(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("$skip", "0"))
        users = [{"Id": i, "Number": str(100 + i)} for i in range(skip + 1, min(skip + 2, 5) + 1)]
        version = "20.0.10.1" if skip == 0 else "20.0.12.3"
        return httpx.Response(200, json={"value": users}, headers={"X-3CX-Version": version})

    return XAPI("https://pbx.example.com", token="t", http_client=httpx.Client(transport=httpx.MockTransport(answer)))


def test_the_warning_points_at_the_users_line_for_direct_raw_and_paged_calls() -> None:
    with pytest.warns(XAPIVersionWarning) as direct:
        line = sys._getframe().f_lineno + 1
        client("20.0.11.100").users.get_user(1)
    assert [(w.filename, w.lineno) for w in direct] == [(__file__, line)]

    _version._warned = False
    with pytest.warns(XAPIVersionWarning) as raw:
        line = sys._getframe().f_lineno + 1
        client("20.0.11.100").users.with_raw_response.get_user(1)
    assert [(w.filename, w.lineno) for w in raw] == [(__file__, line)]

    _version._warned = False
    page = paged_client().users.list_user(top=2)  # the first page matches: no warning yet
    with pytest.warns(XAPIVersionWarning) as later:
        line = sys._getframe().f_lineno + 1
        numbers = [u.number for u in page]  # the second page names XAPI 20.0.12, deep inside the iteration
    assert numbers == ["101", "102", "103", "104", "105"]
    assert [(w.filename, w.lineno) for w in later] == [(__file__, line)]
