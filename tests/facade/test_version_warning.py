"""The client compares the PBX's X-3CX-Version with the XAPI version it was generated for, and warns once."""

from __future__ import annotations

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
