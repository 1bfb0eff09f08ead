"""Secrets stay with the PBX: token requests never redirected, messages redacted before truncation and escaped,
exceptions that carry no credentials and pickle without them. Every test talks to a real server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import warnings
from typing import Any

import httpx
import pytest

from threecx_xapi import (
    XAPI,
    APIConnectionError,
    APIStatusError,
    AsyncXAPI,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    XAPIError,
    XAPIVersionWarning,
)
from threecx_xapi._version import _reset_warning_state

from .scripted import CLIENT_ID, SECRET, Received, Reply, ScriptedPBX, closed_port, substrings


def client(pbx: ScriptedPBX, **options: Any) -> XAPI:
    options.setdefault("max_retries", 0)
    return XAPI(pbx.url, client_id=options.pop("client_id", CLIENT_ID), client_secret=SECRET, **options)


def leaks(text: str | bytes, *secrets: str) -> list[str]:
    """The 8-character pieces of ``secrets`` found in ``text``."""
    haystack = text.decode("latin-1") if isinstance(text, bytes) else text
    return [piece for secret in secrets for piece in substrings(secret) if piece in haystack]


def assert_clean(error: BaseException, *secrets: str) -> None:
    """Neither str, repr nor the pickle of ``error`` holds any piece of ``secrets``; it unpickles the same."""
    pickled = pickle.dumps(error)
    for text in (str(error), repr(error), pickled):
        assert leaks(text, *secrets) == []
    twin = pickle.loads(pickled)
    assert type(twin) is type(error)
    assert str(twin) == str(error)


# -- origins -------------------------------------------------------------------------------------------------


def test_token_request_is_never_redirected_even_by_a_following_http_client() -> None:
    with ScriptedPBX() as elsewhere:
        target = f"{elsewhere.url}/connect/token"
        with ScriptedPBX(token=lambda r: Reply(307, {"Location": target})) as pbx:
            http = httpx.Client(follow_redirects=True)
            pbx_client = XAPI(pbx.url, client_id=CLIENT_ID, client_secret=SECRET, http_client=http, max_retries=0)
            with pytest.raises(APIStatusError) as info:
                pbx_client.users.list_user()
            http.close()
        assert elsewhere.received == []  # the secret never went to the other origin
    error = info.value
    assert isinstance(error, XAPIError) and not isinstance(error, AuthenticationError)
    assert error.status_code == 307
    assert f"redirects to {target}" in str(error)
    assert len(pbx.token_requests) == 1 and pbx.api_requests == []
    assert_clean(error, SECRET)


def test_async_token_request_is_never_redirected() -> None:
    with ScriptedPBX() as elsewhere:
        target = f"{elsewhere.url}/connect/token"
        with ScriptedPBX(token=lambda r: Reply(308, {"Location": target})) as pbx:

            async def main() -> None:
                async with httpx.AsyncClient(follow_redirects=True) as http:
                    api = AsyncXAPI(pbx.url, client_id=CLIENT_ID, client_secret=SECRET, http_client=http)
                    await api.users.list_user()

            with pytest.raises(APIStatusError, match="redirects to") as info:
                asyncio.run(main())
        assert elsewhere.received == []
    assert info.value.status_code == 308


# -- messages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        lambda padding: Reply.text(400, padding + SECRET + " was not expected"),
        lambda padding: Reply.json(400, {"error": {"code": "", "message": padding + SECRET}}),
        lambda padding: Reply(400, {"Content-Type": "text/html"}, f"<p>{padding}{SECRET}</p>".encode()),
    ],
    ids=["text", "odata", "html"],
)
def test_an_echoed_secret_is_blanked_before_the_message_is_cut(reply: Any) -> None:
    padding = "x" * 150 + " "
    with ScriptedPBX(api=lambda r: reply(padding)) as pbx, pytest.raises(BadRequestError) as info:
        client(pbx).users.list_user()
    assert "***" in str(info.value)
    assert_clean(info.value, SECRET, *pbx.tokens)
    assert leaks(info.value.response.content, SECRET) == []


def test_a_token_endpoint_echoing_the_secret_after_padding_leaks_none_of_it() -> None:
    body = {"error": "invalid_client", "error_description": "y" * 150 + f" client_secret={SECRET}"}
    with ScriptedPBX(token=lambda r: Reply.json(400, body)) as pbx, pytest.raises(AuthenticationError) as info:
        client(pbx).users.list_user()
    assert "invalid_client" in str(info.value)
    assert_clean(info.value, SECRET)


@pytest.mark.parametrize(
    "token", ["tok en-with-space", "tok\r\nX-Injected: 1", "tök-non-ascii-value", "a" * 70_000], ids=repr
)
def test_a_malformed_token_is_refused_and_never_echoed(token: str) -> None:
    answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
    with ScriptedPBX(token=lambda r: Reply.json(200, answer)) as pbx, pytest.raises(XAPIError) as info:
        client(pbx).users.list_user()
    assert "cannot be sent in an Authorization header" in str(info.value)
    assert pbx.api_requests == []  # nothing was sent with it
    piece = token[:12]
    for text in (str(info.value), repr(info.value), pickle.dumps(info.value).decode("latin-1")):
        assert piece not in text


HOSTILE = "bad\r\nX-Forged: yes\x00\x1b[31mred\x1b[0m\u2028"


def no_raw_controls(text: str) -> bool:
    return not any(c in text for c in ("\r", "\n", "\x00", "\x1b", "\u2028"))


def test_control_characters_from_the_pbx_are_escaped_in_messages() -> None:
    body = {"error": {"code": HOSTILE, "message": HOSTILE, "details": [{"target": HOSTILE, "message": HOSTILE}]}}
    with ScriptedPBX(api=lambda r: Reply.json(400, body)) as pbx, pytest.raises(BadRequestError) as info:
        client(pbx).users.list_user()
    text = str(info.value)
    assert no_raw_controls(text)
    assert "bad\\r\\nX-Forged: yes\\x00\\x1b[31mred" in text
    assert info.value.code == HOSTILE  # the attribute keeps what the PBX sent; only the message is escaped


def test_control_characters_from_the_token_endpoint_are_escaped() -> None:
    body = {"error": HOSTILE, "error_description": HOSTILE}
    with ScriptedPBX(token=lambda r: Reply.json(401, body)) as pbx, pytest.raises(AuthenticationError) as info:
        client(pbx).users.list_user()
    assert no_raw_controls(str(info.value))
    assert "\\x1b[31m" in str(info.value)


def test_control_characters_in_the_version_header_are_escaped_in_the_warning() -> None:
    _reset_warning_state()
    version = "21.0.0\x1b[2J\r\ninjected"
    reply = Reply.json(200, {"value": []}, **{"X-3CX-Version": "21.0.0 \x1b[2J"})
    with ScriptedPBX(api=lambda r: reply) as pbx, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client(pbx).users.list_user()
    _reset_warning_state()
    messages = [str(w.message) for w in caught if issubclass(w.category, XAPIVersionWarning)]
    assert len(messages) == 1
    assert no_raw_controls(messages[0]) and "\\x1b[2J" in messages[0]
    assert version not in messages[0]


def test_control_characters_in_the_client_id_are_escaped_in_messages_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="threecx_xapi")
    hostile_id = "ops\r\n2026-01-01 CRITICAL forged\x1b[31m"
    with ScriptedPBX(api=lambda r: Reply(401)) as pbx, pytest.raises(AuthenticationError) as info:
        client(pbx, client_id=hostile_id).users.list_user()
    assert no_raw_controls(str(info.value))
    assert "ops\\r\\n2026-01-01 CRITICAL forged\\x1b[31m" in str(info.value)
    lines = [record.getMessage() for record in caplog.records]
    assert lines and all(no_raw_controls(line) for line in lines)
    assert any("ops\\r\\n" in line for line in lines)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("a\r\nX-Injected: 1", "line break"), ("caf\u00e9", "non-ASCII"), ("nul\x00byte", "control")],
)
def test_header_values_are_checked_before_sending(value: str, problem: str) -> None:
    with ScriptedPBX() as pbx:
        with pytest.raises(ValueError, match=f"X-Trace.*{problem}") as info:
            client(pbx).users.list_user(extra_headers={"X-Trace": value})
        assert value not in str(info.value)
        with pytest.raises(ValueError, match="X-Trace"):
            client(pbx, headers={"X-Trace": value})
        with pytest.raises(ValueError, match="X-Trace"):
            client(pbx).with_options(headers={"X-Trace": value})
        assert pbx.received == []


def test_an_invalid_header_name_is_refused() -> None:
    with ScriptedPBX() as pbx:
        with pytest.raises(ValueError, match="not a valid header name"):
            client(pbx).users.list_user(extra_headers={"X Bad\r\n": "v"})
        assert pbx.received == []


# -- objects -------------------------------------------------------------------------------------------------


def test_an_api_401_carries_a_redacted_request_and_pickles_clean() -> None:
    reply = Reply.json(401, {"error": {"code": "", "message": "no"}})
    with ScriptedPBX(api=lambda r: reply) as pbx, pytest.raises(AuthenticationError) as info:
        client(pbx).users.list_user()
    error = info.value
    sent = pbx.api_requests[0].headers["authorization"]
    assert sent.startswith("Bearer ey")  # the real token went on the wire ...
    request = error.response.request
    assert request.headers["Authorization"] == "Bearer ***"  # ... but the exception keeps none of it
    assert error.request is not None and error.request.headers["Authorization"] == "Bearer ***"
    assert_clean(error, SECRET, *pbx.tokens)
    twin = pickle.loads(pickle.dumps(error))
    assert twin.status_code == 401 and twin.response.status_code == 401
    assert twin.response.request.url == request.url


def test_a_token_endpoint_failure_carries_a_redacted_token_request() -> None:
    reply = Reply.json(400, {"error": "invalid_client"})
    with ScriptedPBX(token=lambda r: reply) as pbx, pytest.raises(AuthenticationError) as info:
        client(pbx).users.list_user()
    assert SECRET.encode() in pbx.token_requests[0].body  # sent to the PBX, as it must be
    request = info.value.response.request
    assert b"client_secret=%2A%2A%2A" in request.content
    assert SECRET.encode() not in request.content
    assert_clean(info.value, SECRET)


def test_customer_portal_basic_credentials_are_redacted() -> None:
    with ScriptedPBX(token=lambda r: Reply.json(401, {"error": "invalid_client"})) as pbx:
        pbx_client = XAPI(pbx.url, client_secret=SECRET, customer_portal=True, max_retries=0)
        with pytest.raises(AuthenticationError) as info:
            pbx_client.users.list_user()
    assert pbx.token_requests[0].headers["authorization"].startswith("Basic ")
    assert info.value.response.request.headers["Authorization"] == "Basic ***"
    assert_clean(info.value, SECRET, pbx.token_requests[0].headers["authorization"].split()[1])


def test_a_connection_error_pickles_clean_and_names_host_and_port() -> None:
    port = closed_port()
    pbx_client = XAPI(f"http://127.0.0.1:{port}", token="static-token-value-1234", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        pbx_client.users.list_user()
    assert f"127.0.0.1:{port}" in str(info.value)
    assert_clean(info.value, "static-token-value-1234")
    cause = info.value.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert cause.request.headers["Authorization"] == "Bearer ***"


def test_server_errors_keep_no_token_in_the_pickled_response() -> None:
    def echo(request: Received) -> Reply:
        return Reply.text(500, f"upstream said: {request.headers['authorization']}")

    with ScriptedPBX(api=echo) as pbx, pytest.raises(InternalServerError) as info:
        client(pbx).users.list_user()
    assert_clean(info.value, SECRET, *pbx.tokens)
    assert b"Bearer ***" in info.value.response.content
