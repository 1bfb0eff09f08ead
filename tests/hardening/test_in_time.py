"""Every failure is an XAPIError, raised in time: the call's deadline, the body size limit, Retry-After, TLS,
connection errors, the version header and the User-Agent. Against scripted servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import platform
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import warnings
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from threecx_xapi import (
    DEFAULT_MAX_RESPONSE_SIZE,
    XAPI,
    APIConnectionError,
    APITimeoutError,
    AsyncXAPI,
    BodyError,
    File,
    InternalServerError,
    RateLimitError,
    ResponseTooLargeError,
    XAPIError,
    __version__,
)
from threecx_xapi._version import _reset_warning_state

from .scripted import CLIENT_ID, SECRET, Received, Reply, ScriptedPBX, closed_port


def client(pbx: ScriptedPBX, **options: Any) -> XAPI:
    return XAPI(pbx.url, client_id=CLIENT_ID, client_secret=SECRET, **options)


def drip(size: int, every: float) -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, [(b" ", every)] * size)


# -- the deadline -------------------------------------------------------------------------------------------


def test_a_dripping_body_cannot_outlast_the_timeout() -> None:
    replies = [drip(30, 0.3), Reply.json(200, {"value": []})]
    with ScriptedPBX(api=lambda r: replies.pop()) as pbx, client(pbx, timeout=1) as api:
        api.users.list_user()  # token and first-call costs out of the way: what is timed is the drip
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as info:
            api.users.list_user()
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2.5  # the drip would take 9 s
    assert "timed out" in str(info.value)
    assert len(pbx.api_requests) == 2  # no retry of the drip: the deadline had passed


def test_a_dripping_body_cannot_outlast_the_timeout_async() -> None:
    with ScriptedPBX(api=lambda r: drip(30, 0.3)) as pbx:

        async def main() -> None:
            async with AsyncXAPI(pbx.url, client_id=CLIENT_ID, client_secret=SECRET, timeout=1) as api:
                await api.users.list_user()

        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            asyncio.run(main())
        assert time.monotonic() - started < 2.5


def test_retries_stop_at_the_deadline() -> None:
    never_ready = Reply.json(503, {"error": {"code": "", "message": "busy"}}, **{"Retry-After": "0.4"})
    with ScriptedPBX(api=lambda r: never_ready) as pbx:
        started = time.monotonic()
        with pytest.raises(InternalServerError):
            client(pbx, timeout=1, max_retries=10).users.list_user()
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert 2 <= len(pbx.api_requests) <= 4


def test_a_long_retry_after_is_not_waited_past_the_deadline() -> None:
    with ScriptedPBX(api=lambda r: Reply.json(429, {}, **{"Retry-After": "30"})) as pbx:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as info:
            client(pbx, timeout=2).users.list_user()
    assert time.monotonic() - started < 2.0
    assert info.value.retry_after == 30.0
    assert len(pbx.api_requests) == 1


def test_a_silent_server_is_given_up_on_at_the_deadline_not_per_attempt() -> None:
    stop = threading.Event()

    def silent(request: Received) -> Reply:
        stop.wait(5)
        return Reply.json(200, {"value": []})

    with ScriptedPBX(api=silent) as pbx:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client(pbx, timeout=1, max_retries=3).users.list_user()
        elapsed = time.monotonic() - started
        stop.set()
    assert elapsed < 2.5  # four attempts of 1 s each, plus backoff, before


# -- Retry-After --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        ("7", 7.0, 7.0),
        ("1" + "0" * 26, 86_400.0, 86_400.0),
        ("9" * 400, 86_400.0, 86_400.0),
        ("inf", None, None),
        ("in 120 s", 100.0, 121.0),  # an HTTP date, made when the test runs
    ],
    ids=["seconds", "1e26", "400-digits", "inf", "http-date"],
)
def test_rate_limit_retry_after_is_parsed_once_and_capped(header: str, low: float | None, high: float | None) -> None:
    if header == "in 120 s":
        header = email.utils.formatdate(time.time() + 120, usegmt=True)
    reply = Reply.json(429, {}, **{"Retry-After": header})
    with ScriptedPBX(api=lambda r: reply) as pbx, pytest.raises(RateLimitError) as info:
        client(pbx, max_retries=0).users.list_user()
    seconds = info.value.retry_after
    if low is None:
        assert seconds is None
    else:
        assert seconds is not None and high is not None and low <= seconds <= high


# -- the body size limit ------------------------------------------------------------------------------------

BOMB_SIZE = 96 * 1024 * 1024  # beyond the default limit of 64 MiB


@cache
def bomb() -> bytes:
    """96 MiB of JSON whitespace in about 450 KB of gzip."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    chunk = b" " * (1024 * 1024)
    return b"".join(packer.compress(chunk) for _ in range(BOMB_SIZE // len(chunk))) + packer.flush()


def bomb_reply() -> Reply:
    return Reply(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, bomb())


def test_a_gzip_bomb_is_refused_while_reading_not_loaded() -> None:
    assert len(bomb()) < 1024 * 1024
    with ScriptedPBX(api=lambda r: bomb_reply()) as pbx, client(pbx, max_retries=0, max_response_size=1 << 20) as api:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as info:
                api.users.list_user()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(info.value, XAPIError)
    assert "exceeds max_response_size (1048576 bytes, counted after decompression)" in str(info.value)
    assert peak < 64 * 1024 * 1024  # one network chunk inflated at a time; loading it all: 96 MiB and more


def test_the_default_limit_refuses_the_bomb() -> None:
    with (
        ScriptedPBX(api=lambda r: bomb_reply()) as pbx,
        client(pbx, max_retries=0) as api,
        pytest.raises(ResponseTooLargeError) as info,
    ):
        api.users.list_user()
    assert info.value.limit == DEFAULT_MAX_RESPONSE_SIZE == 64 * 1024 * 1024


def test_the_limit_is_configurable_and_counts_decoded_bytes() -> None:
    payload = b'{"value": []}' + b" " * 5000
    reply = Reply(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip.compress(payload))
    with ScriptedPBX(api=lambda r: reply) as pbx:
        with pytest.raises(ResponseTooLargeError, match="4096 bytes"):
            client(pbx, max_response_size=4096).users.list_user()
        assert list(client(pbx, max_response_size=8192).users.list_user()) == []
        assert list(client(pbx, max_response_size=None).users.list_user()) == []
    with pytest.raises(ValueError, match="max_response_size"):
        client(pbx, max_response_size=0)


def test_file_answers_are_not_bound_by_the_limit() -> None:
    csv = b"Number,FirstName\r\n" + b"100,Ada\r\n" * 2000
    headers = {"Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="extensions.csv"'}
    with ScriptedPBX(api=lambda r: Reply(200, headers, csv)) as pbx:
        result = client(pbx, max_response_size=1024).users.export_extensions()
    assert isinstance(result, File)
    assert result.payload.read() == csv


def test_error_bodies_are_bound_by_the_limit_too() -> None:
    big = Reply(500, {"Content-Type": "text/plain"}, b"x" * 10_000)
    with ScriptedPBX(api=lambda r: big) as pbx, pytest.raises(ResponseTooLargeError):
        client(pbx, max_response_size=1024, max_retries=0).users.list_user()


# -- TLS and connections ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_certificate_failures_are_not_retried(self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    accepted: list[int] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            try:
                with context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(APIConnectionError) as info:
            XAPI(f"https://127.0.0.1:{port}", token="static-token", max_retries=3).users.list_user()
    finally:
        done.set()
        thread.join(5)
        listener.close()
    assert len(accepted) == 1
    message = str(info.value)
    assert "failed after 1 attempt" in message
    assert "certificate was not accepted" in message and "verify=" in message
    assert f"127.0.0.1:{port}" in message


def test_verify_with_http_client_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"verify= .* http_client="):
        XAPI("https://pbx.example.com", token="t", verify=False, http_client=httpx.Client())
    with pytest.raises(ValueError, match="verify="):
        AsyncXAPI("https://pbx.example.com", token="t", verify="ca.pem", http_client=httpx.AsyncClient())


def test_connection_errors_name_host_and_port() -> None:
    port = closed_port()
    with pytest.raises(APIConnectionError) as info:
        XAPI(f"http://127.0.0.1:{port}", token="static-token", max_retries=0).users.list_user()
    assert f"GET /xapi/v1/Users on 127.0.0.1:{port} failed after 1 attempt" in str(info.value)


# -- what the PBX says and what we send ---------------------------------------------------------------------


def test_a_hostile_version_header_never_fails_the_call() -> None:
    _reset_warning_state()
    reply = Reply.json(200, {"value": []}, **{"X-3CX-Version": "9" * 5000})
    with ScriptedPBX(api=lambda r: reply) as pbx, warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            assert list(client(pbx).users.list_user()) == []
    _reset_warning_state()


def test_requests_send_the_user_agent() -> None:
    with ScriptedPBX() as pbx:
        client(pbx).users.list_user()
    expected = f"threecx-xapi/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
    assert re.fullmatch(r"threecx-xapi/\S+ python/\d+\.\d+\.\d+\S* httpx/\S+", expected)
    assert [r.headers["user-agent"] for r in pbx.received] == [expected, expected]  # token request, then the call


def test_body_error_is_an_xapi_error() -> None:
    assert issubclass(BodyError, XAPIError) and issubclass(BodyError, ValueError)
    with ScriptedPBX() as pbx:
        with pytest.raises(BodyError) as info:
            client(pbx).users.update_user(1, body={"NoSuchField": 1})
        assert pbx.received == []
    assert isinstance(info.value, XAPIError)


def test_a_hanging_token_endpoint_is_bound_by_the_calls_timeout() -> None:
    stop = threading.Event()

    def hang(request: Received) -> Reply:
        stop.wait(10)
        return Reply.json(500, {})

    with ScriptedPBX(token=hang) as pbx:
        api = client(pbx, timeout=1, max_retries=2)
        errors: list[BaseException] = []

        def call() -> None:
            try:
                api.users.list_user()
            except XAPIError as error:
                errors.append(error)

        started = time.monotonic()
        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        elapsed = time.monotonic() - started
        stop.set()
    assert len(errors) == 5 and all(isinstance(e, APITimeoutError) for e in errors)
    assert elapsed < 3.0  # not 5 callers x 3 attempts x 1 s
    assert len(pbx.token_requests) == 1 and pbx.api_requests == []
