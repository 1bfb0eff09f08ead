"""Retries through a real httpx client against a scripted PBX: never replay what the PBX may have received."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from typing import TypeAlias

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threecx_xapi._exceptions import APIConnectionError, APITimeoutError, XAPIError
from threecx_xapi._retry import (
    RETRY_STATUSES,
    RetryPolicy,
    asend_with_retries,
    certificate_failure,
    is_retryable,
    parse_retry_after,
    send_with_retries,
)

BASE = "https://pbx.example.com/xapi/v1"
USERS = f"{BASE}/Users"
SECRET_TOKEN = "Bearer eyJhbGciOi.secret.token"

Step: TypeAlias = "int | httpx.Response | type[httpx.TransportError]"


class ScriptedPBX:
    """Answers each request with the next step: a status, a ready response, or a transport error to raise."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    @property
    def calls(self) -> int:
        return len(self.requests)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, httpx.Response):
            return step
        if isinstance(step, int):
            return httpx.Response(step, json={"status": step})
        raise step(f"scripted {step.__name__}", request=request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        return self(request)


class Sleeps(list[float]):
    """Records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.append(seconds)


def run(
    pbx: ScriptedPBX,
    method: str = "GET",
    *,
    policy: RetryPolicy | None = None,
    random: Callable[[], float] = lambda: 0.5,
    stream: bool = False,
    url: str = USERS,
) -> tuple[httpx.Response, Sleeps]:
    sleeps = Sleeps()
    with httpx.Client(transport=httpx.MockTransport(pbx)) as client:
        request = client.build_request(method, url, headers={"Authorization": SECRET_TOKEN})
        response = send_with_retries(
            lambda: client.send(request, stream=stream),
            method=method,
            policy=policy or RetryPolicy(),
            sleep=sleeps,
            random=random,
        )
    return response, sleeps


def arun(
    pbx: ScriptedPBX,
    method: str = "GET",
    *,
    policy: RetryPolicy | None = None,
    random: Callable[[], float] = lambda: 0.5,
    stream: bool = False,
) -> tuple[httpx.Response, Sleeps]:
    sleeps = Sleeps()

    async def main() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.MockTransport(pbx.handle_async)) as client:
            request = client.build_request(method, USERS)
            return await asend_with_retries(
                lambda: client.send(request, stream=stream),
                method=method,
                policy=policy or RetryPolicy(),
                sleep=sleeps.asleep,
                random=random,
            )

    return asyncio.run(main()), sleeps


def same_request(kept: httpx.Request | None, sent: httpx.Request) -> bool:
    """The request an error keeps is a redacted copy of the one sent: same method and URL, no credential."""
    assert kept is not None
    assert kept.headers.get("Authorization") in (None, "Bearer ***")
    return (kept.method, kept.url) == (sent.method, sent.url)


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# -- statuses ------------------------------------------------------------------------------------------------


def test_get_503_twice_then_200_backs_off_exponentially() -> None:
    pbx = ScriptedPBX(503, 503, 200)
    response, sleeps = run(pbx, random=random.Random(1234).random)
    assert response.status_code == 200
    assert pbx.calls == 3
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.625  # 0.5 s +/- 25 %
    assert 0.75 <= sleeps[1] <= 1.25  # 1.0 s +/- 25 %


def test_delays_double_without_jitter_and_stop_at_max_delay() -> None:
    pbx = ScriptedPBX(503, 503, 503, 503, 503, 200)
    policy = RetryPolicy(max_retries=5, initial_delay=1.0, max_delay=5.0, jitter=0.0)
    response, sleeps = run(pbx, policy=policy)
    assert response.status_code == 200
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


@pytest.mark.parametrize(("fraction", "expected"), [(0.0, 0.375), (0.5, 0.5), (1.0, 0.625)])
def test_jitter_spans_plus_minus_the_fraction(fraction: float, expected: float) -> None:
    assert RetryPolicy().delay(1, random=lambda: fraction) == pytest.approx(expected)


def test_retry_after_seconds_is_honoured_exactly_without_jitter() -> None:
    pbx = ScriptedPBX(httpx.Response(503, headers={"Retry-After": "2"}), 200)
    response, sleeps = run(pbx, random=lambda: 0.9)
    assert response.status_code == 200
    assert sleeps == [2.0]


def test_fractional_retry_after() -> None:
    _, sleeps = run(ScriptedPBX(httpx.Response(429, headers={"Retry-After": "0.25"}), 200))
    assert sleeps == [0.25]


def test_retry_after_is_capped() -> None:
    pbx = ScriptedPBX(httpx.Response(503, headers={"Retry-After": "3600"}), 200)
    _, sleeps = run(pbx, policy=RetryPolicy(max_retry_after=30.0))
    assert sleeps == [30.0]
    _, sleeps = run(ScriptedPBX(httpx.Response(503, headers={"Retry-After": "3600"}), 200))
    assert sleeps == [60.0]


def test_retry_after_http_date() -> None:
    pbx = ScriptedPBX(httpx.Response(503, headers={"Retry-After": http_date(5)}), 200)
    response, sleeps = run(pbx)
    assert response.status_code == 200
    assert len(sleeps) == 1
    assert 3.5 <= sleeps[0] <= 5.0  # the date has whole seconds


def test_retry_after_date_in_the_past_means_now() -> None:
    _, sleeps = run(ScriptedPBX(httpx.Response(503, headers={"Retry-After": http_date(-100)}), 200))
    assert sleeps == [0.0]


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    _, sleeps = run(ScriptedPBX(httpx.Response(503, headers={"Retry-After": "soon"}), 200))
    assert sleeps == [0.5]


def test_max_retries_zero_makes_one_call() -> None:
    pbx = ScriptedPBX(503, 200)
    response, sleeps = run(pbx, policy=RetryPolicy(max_retries=0))
    assert response.status_code == 503
    assert pbx.calls == 1
    assert sleeps == []


def test_exhausted_retries_return_the_last_response() -> None:
    pbx = ScriptedPBX(503, 502, 504)
    response, sleeps = run(pbx)
    assert response.status_code == 504
    assert response.json() == {"status": 504}
    assert pbx.calls == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
def test_changes_are_not_replayed_on_any_status(method: str, status: int) -> None:
    pbx = ScriptedPBX(status, 200)
    response, sleeps = run(pbx, method)
    assert response.status_code == status
    assert pbx.calls == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_reads_are_retried_on_retryable_statuses(method: str, status: int) -> None:
    pbx = ScriptedPBX(status, 200)
    response, _ = run(pbx, method)
    assert response.status_code == 200
    assert pbx.calls == 2


@pytest.mark.parametrize("status", [200, 204, 400, 401, 403, 404, 409, 422, 500, 501, 505])
def test_other_statuses_are_not_retried(status: int) -> None:
    pbx = ScriptedPBX(status, 200)
    response, sleeps = run(pbx)
    assert response.status_code == status
    assert pbx.calls == 1
    assert sleeps == []


class TrackedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"busy"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"busy"

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def test_discarded_responses_are_closed_and_the_last_is_not() -> None:
    streams = [TrackedStream() for _ in range(3)]
    pbx = ScriptedPBX(*(httpx.Response(503, stream=s) for s in streams))
    response, _ = run(pbx, stream=True)
    assert [s.closed for s in streams] == [True, True, False]
    assert response.read() == b"busy"
    response.close()


def test_discarded_responses_are_closed_async() -> None:
    streams = [TrackedStream() for _ in range(2)]
    pbx = ScriptedPBX(*(httpx.Response(503, stream=s) for s in streams), 200)
    response, _ = arun(pbx, stream=True)
    assert response.status_code == 200
    assert [s.closed for s in streams] == [True, True]


# -- transport errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE", "GET"])
def test_requests_that_never_left_are_replayed_whatever_the_method(
    method: str, error: type[httpx.TransportError]
) -> None:
    pbx = ScriptedPBX(error, 201)
    response, sleeps = run(pbx, method)
    assert response.status_code == 201
    assert pbx.calls == 2
    assert sleeps == [0.5]
    assert [r.method for r in pbx.requests] == [method, method]


def test_post_is_not_replayed_after_a_read_timeout() -> None:
    pbx = ScriptedPBX(httpx.ReadTimeout, 201)
    with pytest.raises(APITimeoutError) as info:
        run(pbx, "POST")
    assert pbx.calls == 1
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert same_request(info.value.request, pbx.requests[0])
    message = str(info.value)
    assert message.startswith("POST /xapi/v1/Users on pbx.example.com:443 timed out after 1 attempt: ReadTimeout")
    assert "may have received" in message


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError],
)
@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
def test_changes_are_not_replayed_after_errors_that_may_follow_delivery(
    method: str, error: type[httpx.TransportError]
) -> None:
    pbx = ScriptedPBX(error, 200)
    with pytest.raises(APIConnectionError) as info:
        run(pbx, method)
    assert pbx.calls == 1
    assert type(info.value.__cause__) is error
    assert isinstance(info.value, APITimeoutError) == issubclass(error, httpx.TimeoutException)


def test_get_read_timeout_twice_then_ok() -> None:
    pbx = ScriptedPBX(httpx.ReadTimeout, httpx.ReadTimeout, 200)
    response, sleeps = run(pbx)
    assert response.status_code == 200
    assert pbx.calls == 3
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize("error", [httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.WriteTimeout])
def test_reads_are_retried_after_any_transient_transport_error(error: type[httpx.TransportError]) -> None:
    pbx = ScriptedPBX(error, 200)
    response, _ = run(pbx, "GET")
    assert response.status_code == 200
    assert pbx.calls == 2


def test_exhausted_connect_errors_raise_connection_error_not_timeout() -> None:
    pbx = ScriptedPBX(httpx.ConnectError, httpx.ConnectError, httpx.ConnectError, 200)
    with pytest.raises(APIConnectionError) as info:
        run(pbx, "POST", url=f"{USERS}?$filter=Number eq '100'")
    assert pbx.calls == 3
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value, XAPIError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert same_request(info.value.request, pbx.requests[-1])
    message = str(info.value)
    assert message == (
        "POST /xapi/v1/Users on pbx.example.com:443 failed after 3 attempts: ConnectError: scripted ConnectError"
    )
    assert "filter" not in message


def test_exhausted_timeouts_raise_a_timeout_error_that_is_a_connection_error() -> None:
    pbx = ScriptedPBX(httpx.ConnectTimeout, httpx.ConnectTimeout, httpx.ConnectTimeout)
    with pytest.raises(APIConnectionError) as info:  # catching the base class catches timeouts too
        run(pbx, "DELETE")
    assert isinstance(info.value, APITimeoutError)
    assert pbx.calls == 3
    assert "DELETE /xapi/v1/Users on pbx.example.com:443 timed out after 3 attempts" in str(info.value)
    assert "may have received" not in str(info.value)


def test_unsupported_protocol_is_never_retried() -> None:
    pbx = ScriptedPBX(httpx.UnsupportedProtocol, 200)
    with pytest.raises(APIConnectionError) as info:
        run(pbx)
    assert pbx.calls == 1
    assert isinstance(info.value.__cause__, httpx.UnsupportedProtocol)


def test_a_real_unsupported_scheme_is_not_retried() -> None:
    sleeps = Sleeps()
    with httpx.Client() as client:
        request = client.build_request("GET", "ftp://pbx.example.com/xapi/v1/Users")
        with pytest.raises(APIConnectionError):
            send_with_retries(lambda: client.send(request), method="GET", policy=RetryPolicy(), sleep=sleeps)
    assert sleeps == []


def test_max_retries_zero_raises_after_one_connect_error() -> None:
    pbx = ScriptedPBX(httpx.ConnectError, 200)
    with pytest.raises(APIConnectionError, match="after 1 attempt:"):
        run(pbx, policy=RetryPolicy(max_retries=0))
    assert pbx.calls == 1


def test_other_exceptions_propagate_untouched() -> None:
    calls = 0

    def send() -> httpx.Response:
        nonlocal calls
        calls += 1
        raise KeyError("not ours")

    with pytest.raises(KeyError):
        send_with_retries(send, method="GET", policy=RetryPolicy(), sleep=Sleeps())
    assert calls == 1


# -- logging -------------------------------------------------------------------------------------------------


def test_each_retry_is_logged_at_info_without_headers_or_query(caplog: pytest.LogCaptureFixture) -> None:
    pbx = ScriptedPBX(503, httpx.ReadTimeout, 200)
    with caplog.at_level(logging.INFO, logger="threecx_xapi"):
        run(pbx, url=f"{USERS}?$top=5", random=lambda: 0.58)
    records = [r for r in caplog.records if r.name == "threecx_xapi"]
    messages = [r.getMessage() for r in records]
    assert messages == [
        "retrying GET /xapi/v1/Users on pbx.example.com:443 after 503 in 0.52 s (retry 1 of 2)",
        "retrying GET /xapi/v1/Users on pbx.example.com:443 after ReadTimeout in 1.04 s (retry 2 of 2)",
    ]
    assert all(r.levelno == logging.INFO for r in records)
    assert not any("secret" in m or "top" in m for m in messages)


# -- async twins ---------------------------------------------------------------------------------------------


def test_async_get_503_twice_then_200() -> None:
    pbx = ScriptedPBX(503, 503, 200)
    response, sleeps = arun(pbx)
    assert response.status_code == 200
    assert pbx.calls == 3
    assert sleeps == [0.5, 1.0]


def test_async_retry_after_honoured() -> None:
    pbx = ScriptedPBX(httpx.Response(429, headers={"Retry-After": "2"}), 200)
    response, sleeps = arun(pbx)
    assert response.status_code == 200
    assert sleeps == [2.0]


def test_async_post_503_returned_after_one_call() -> None:
    pbx = ScriptedPBX(503, 200)
    response, sleeps = arun(pbx, "POST")
    assert response.status_code == 503
    assert pbx.calls == 1
    assert sleeps == []


def test_async_post_replayed_after_connect_error() -> None:
    pbx = ScriptedPBX(httpx.ConnectError, 201)
    response, _ = arun(pbx, "POST")
    assert response.status_code == 201
    assert pbx.calls == 2


def test_async_post_not_replayed_after_read_timeout() -> None:
    pbx = ScriptedPBX(httpx.ReadTimeout, 201)
    with pytest.raises(APITimeoutError) as info:
        arun(pbx, "POST")
    assert pbx.calls == 1
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert same_request(info.value.request, pbx.requests[0])


def test_async_get_read_timeout_twice_then_ok() -> None:
    pbx = ScriptedPBX(httpx.ReadTimeout, httpx.ReadTimeout, 200)
    response, _ = arun(pbx)
    assert response.status_code == 200
    assert pbx.calls == 3


def test_async_exhausted_connect_errors() -> None:
    pbx = ScriptedPBX(httpx.ConnectError, httpx.ConnectError, httpx.ConnectError)
    with pytest.raises(APIConnectionError) as info:
        arun(pbx, "PATCH")
    assert not isinstance(info.value, APITimeoutError)
    assert pbx.calls == 3


def test_async_max_retries_zero() -> None:
    pbx = ScriptedPBX(503, 200)
    response, _ = arun(pbx, policy=RetryPolicy(max_retries=0))
    assert response.status_code == 503
    assert pbx.calls == 1


# -- is_retryable --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "for_get", "for_post"),
    [
        (httpx.ConnectError("x"), True, True),
        (httpx.ConnectTimeout("x"), True, True),
        (httpx.PoolTimeout("x"), True, True),
        (httpx.ReadTimeout("x"), True, False),
        (httpx.WriteTimeout("x"), True, False),
        (httpx.ReadError("x"), True, False),
        (httpx.WriteError("x"), True, False),
        (httpx.RemoteProtocolError("x"), True, False),
        (httpx.ProxyError("x"), True, False),
        (httpx.UnsupportedProtocol("x"), False, False),
        (httpx.LocalProtocolError("x"), False, False),
        (httpx.TooManyRedirects("x"), False, False),
        (ValueError("x"), False, False),
    ],
)
def test_is_retryable_for_errors(error: BaseException, for_get: bool, for_post: bool) -> None:
    for method in ("GET", "HEAD", "OPTIONS", "head"):
        assert is_retryable(method, error=error) is for_get
    for method in ("POST", "PATCH", "PUT", "DELETE", "post"):
        assert is_retryable(method, error=error) is for_post


def test_is_retryable_for_responses() -> None:
    assert frozenset({408, 429, 502, 503, 504}) == RETRY_STATUSES
    for status in range(100, 600):
        response = httpx.Response(status)
        assert is_retryable("GET", response=response) is (status in RETRY_STATUSES)
        assert is_retryable("POST", response=response) is False


def test_is_retryable_wants_exactly_one_of_response_or_error() -> None:
    with pytest.raises(ValueError):
        is_retryable("GET")
    with pytest.raises(ValueError):
        is_retryable("GET", response=httpx.Response(503), error=httpx.ConnectError("x"))


# -- the policy ----------------------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries, policy.initial_delay, policy.max_delay) == (2, 0.5, 8.0)
    assert (policy.max_retry_after, policy.jitter) == (60.0, 0.25)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"max_retries": True},
        {"initial_delay": -0.1},
        {"max_delay": float("inf")},
        {"max_retry_after": float("nan")},
        {"jitter": -0.1},
        {"jitter": 1.5},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_delay_wants_a_retry_number_from_one() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().delay(0)


def test_delay_for_huge_retry_numbers_is_max_delay() -> None:
    assert RetryPolicy(jitter=0).delay(10**6) == 8.0


def test_delay_survives_a_broken_random_source() -> None:
    assert RetryPolicy().delay(1, random=lambda: float("nan")) == 0.5
    assert RetryPolicy().delay(1, random=lambda: -3.0) == 0.5


# -- parse_retry_after ---------------------------------------------------------------------------------------

NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("2", 2.0),
        ("0", 0.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("-1", None),
        ("1e3", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:28:10 -0000", 10.0),
        ("Wed, 21 Oct 2015 09:28:10 +0200", 10.0),
        ("Wed Oct 21 07:28:30 2015", 30.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
        ("Wed, 32 Oct 2015 07:28:10 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=lambda: NOW) == expected


@settings(max_examples=300)
@given(st.text())
def test_parse_retry_after_never_raises_and_is_never_negative(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or seconds >= 0


header_text = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: email.utils.format_datetime(d, usegmt=True)),
    st.just("9" * 400),
)


@settings(max_examples=300)
@given(
    max_delay=st.floats(min_value=0, max_value=1e6),
    initial_delay=st.floats(min_value=0, max_value=1e6),
    max_retry_after=st.floats(min_value=0, max_value=1e6),
    jitter=st.floats(min_value=0, max_value=1),
    retry_number=st.integers(min_value=1, max_value=10**6),
    fraction=st.floats(min_value=0, max_value=1),
    retry_after=st.one_of(st.none(), header_text),
)
def test_delay_is_always_within_bounds(
    max_delay: float,
    initial_delay: float,
    max_retry_after: float,
    jitter: float,
    retry_number: int,
    fraction: float,
    retry_after: str | None,
) -> None:
    policy = RetryPolicy(
        initial_delay=initial_delay, max_delay=max_delay, max_retry_after=max_retry_after, jitter=jitter
    )
    response = httpx.Response(503, headers={} if retry_after is None else {"Retry-After": retry_after})
    wait = policy.delay(retry_number, response, random=lambda: fraction)
    assert 0 <= wait <= max(max_delay * (1 + jitter), max_retry_after)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1" + "0" * 26, 86_400.0), ("9" * 400, 86_400.0), ("90000", 86_400.0), ("0.25", 0.25)],
)
def test_parse_retry_after_is_capped(value: str, expected: float) -> None:
    assert parse_retry_after(value) == expected


def test_a_token_request_may_be_declared_idempotent() -> None:
    """POST is not retried on a 503, unless the caller vouches that it is safe to repeat (a token request)."""
    response = httpx.Response(503)
    assert not is_retryable("POST", response=response)
    assert is_retryable("POST", response=response, idempotent=True)
    assert is_retryable("POST", error=httpx.ReadTimeout("slow"), idempotent=True)


def test_a_refused_certificate_is_never_retried() -> None:
    import ssl

    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert certificate_failure(error)
    assert not is_retryable("GET", error=error)
    wrapped = httpx.ConnectError("handshake failed")
    wrapped.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    assert not is_retryable("GET", error=wrapped)
    assert is_retryable("GET", error=httpx.ConnectError("refused"))


def test_the_deadline_stops_retries_before_a_wait_that_would_overrun_it() -> None:
    from threecx_xapi._deadline import Deadline

    pbx = ScriptedPBX(503, 503, 200)
    now = [0.0]
    deadline = Deadline(1.0, clock=lambda: now[0])
    sleeps = Sleeps()
    with httpx.Client(transport=httpx.MockTransport(pbx)) as client:
        response = send_with_retries(
            lambda: client.get(USERS),
            method="GET",
            policy=RetryPolicy(initial_delay=2.0, jitter=0),
            sleep=sleeps,
            deadline=deadline,
        )
    assert response.status_code == 503
    assert pbx.calls == 1 and sleeps == []
