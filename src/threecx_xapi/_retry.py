"""Retrying XAPI requests without ever sending a change to the PBX twice.

The PBX runs production telephony: a POST that creates a user or a DELETE that removes a trunk must not
take effect twice. So GET, HEAD and OPTIONS are retried on connection errors and on 408, 429, 502, 503 and
504, but any other method is replayed only when the request provably never left this machine: the connection
could not be opened (``ConnectError``, ``ConnectTimeout``) or never came from the pool (``PoolTimeout``).
A read timeout, a dropped connection or a 503 from a proxy may follow a request the PBX already acted on.
A certificate that fails verification is never retried: it will fail the same way.

With a :class:`~._deadline.Deadline` (the call's ``timeout``), no retry starts whose wait would overrun it.
"""

from __future__ import annotations

import logging
import math
import random as _random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from ._deadline import Deadline
from ._exceptions import APIConnectionError, APITimeoutError
from ._redact import redacted_request, shown
from ._retry_after import parse_retry_after

__all__ = [
    "RETRY_STATUSES",
    "RetryPolicy",
    "asend_with_retries",
    "certificate_failure",
    "is_retryable",
    "parse_retry_after",
    "send_with_retries",
]

logger = logging.getLogger("threecx_xapi")

RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 502, 503, 504})
"""Statuses worth another try: the server, or a proxy in front of it, says it could not handle the request now."""

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Raised before a single byte of the request was sent: safe to replay whatever the method.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# Retrying cannot help: the URL or the request itself is wrong, not the network.
_HOPELESS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)

_MAX_DOUBLINGS = 64  # beyond this the exponential delay is max_delay anyway; keeps 2**n finite


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; ``max_retries=0`` turns retries off.

    Retry ``n`` waits ``min(initial_delay * 2**(n-1), max_delay)``, varied by ``+/- jitter`` (a fraction) so
    that many clients do not retry in step. A ``Retry-After`` header replaces that delay, unjittered, capped
    at ``max_retry_after``.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be an int >= 0, not {self.max_retries!r}")
        for name in ("initial_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value < math.inf):
                raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value!r}")
        jitter = self.jitter
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not (0 <= jitter <= 1):
            raise ValueError(f"jitter must be a fraction between 0 and 1, not {jitter!r}")

    def delay(
        self,
        retry_number: int,
        response: httpx.Response | None = None,
        *,
        random: Callable[[], float] = _random.random,
    ) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first), honouring the response's Retry-After."""
        if isinstance(retry_number, bool) or not isinstance(retry_number, int) or retry_number < 1:
            raise ValueError(f"retry_number must be an int >= 1, not {retry_number!r}")
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                return min(retry_after, self.max_retry_after)
        base = min(self.initial_delay * 2.0 ** min(retry_number - 1, _MAX_DOUBLINGS), self.max_delay)
        fraction = random()
        if not 0.0 <= fraction <= 1.0:  # a broken random source must not produce a negative or huge wait
            fraction = 0.5
        return max(0.0, base * (1.0 + self.jitter * (2.0 * fraction - 1.0)))


def is_retryable(
    method: str,
    *,
    response: httpx.Response | None = None,
    error: BaseException | None = None,
    idempotent: bool | None = None,
) -> bool:
    """Whether a request that got ``response`` (or failed with ``error``) may be sent again; pass one of the two.

    Only GET, HEAD and OPTIONS are retried on statuses and on errors after the request may have been sent
    (``idempotent=True`` vouches for another method, e.g. a token request); every method is retried when the
    connection could not be opened at all, unless the certificate was refused.
    """
    if (response is None) == (error is None):
        raise ValueError("pass exactly one of response or error")
    if idempotent is None:
        idempotent = method.upper() in _IDEMPOTENT_METHODS
    if error is not None:
        if not isinstance(error, httpx.TransportError) or isinstance(error, _HOPELESS) or certificate_failure(error):
            return False
        return isinstance(error, _NEVER_SENT) or idempotent
    assert response is not None
    return idempotent and response.status_code in RETRY_STATUSES


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    method: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = _random.random,
    deadline: Deadline | None = None,
    idempotent: bool | None = None,
) -> httpx.Response:
    """Call ``send`` until it returns a response not worth retrying, or retries run out; return that response.

    Status errors are left to the caller. Transport errors that are not retried become
    :class:`APITimeoutError` or :class:`APIConnectionError`.
    """
    deadline = deadline or Deadline(None)
    attempt = 0
    while True:
        attempt += 1
        try:
            response = send()
        except httpx.TransportError as exc:
            wait = policy.delay(attempt, random=random)
            if not _again(method, policy, attempt, deadline, wait, idempotent, error=exc):
                raise _give_up(exc, method, attempt, policy, deadline) from exc
            _log_retry(method, _request_of(exc), type(exc).__name__, wait, attempt, policy)
            sleep(wait)
            continue
        if not is_retryable(method, response=response, idempotent=idempotent) or attempt > policy.max_retries:
            return response
        wait = policy.delay(attempt, response, random=random)
        if not deadline.allows(wait):
            return response
        _log_retry(method, _request_of(response), str(response.status_code), wait, attempt, policy)
        response.close()  # frees the connection of a streamed response before we wait
        sleep(wait)


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # imported here: sync-only programs never pay for asyncio

    await asyncio.sleep(seconds)


async def asend_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    method: str,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    random: Callable[[], float] = _random.random,
    deadline: Deadline | None = None,
    idempotent: bool | None = None,
) -> httpx.Response:
    """The async twin of :func:`send_with_retries`."""
    deadline = deadline or Deadline(None)
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await send()
        except httpx.TransportError as exc:
            wait = policy.delay(attempt, random=random)
            if not _again(method, policy, attempt, deadline, wait, idempotent, error=exc):
                raise _give_up(exc, method, attempt, policy, deadline) from exc
            _log_retry(method, _request_of(exc), type(exc).__name__, wait, attempt, policy)
            await (sleep or _asyncio_sleep)(wait)
            continue
        if not is_retryable(method, response=response, idempotent=idempotent) or attempt > policy.max_retries:
            return response
        wait = policy.delay(attempt, response, random=random)
        if not deadline.allows(wait):
            return response
        _log_retry(method, _request_of(response), str(response.status_code), wait, attempt, policy)
        await response.aclose()
        await (sleep or _asyncio_sleep)(wait)


def _request_of(source: httpx.Response | httpx.TransportError) -> httpx.Request | None:
    try:
        return source.request
    except RuntimeError:  # an error raised, or a response built, without a request
        return None


def _again(
    method: str,
    policy: RetryPolicy,
    attempt: int,
    deadline: Deadline,
    wait: float,
    idempotent: bool | None,
    *,
    error: httpx.TransportError,
) -> bool:
    return (
        attempt <= policy.max_retries
        and is_retryable(method, error=error, idempotent=idempotent)
        and not deadline.expired
        and deadline.allows(wait)
    )


def certificate_failure(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a refused TLS certificate: retrying cannot help."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _target(method: str, request: httpx.Request | None) -> str:
    """``METHOD /path on host:port``: never the query, never headers."""
    if request is None:
        return method.upper()
    url = request.url
    port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    host = f"[{url.host}]" if ":" in url.host else url.host
    where = f"{host}:{port}" if port else host
    return f"{method.upper()} {shown(url.path, limit=200)} on {shown(where, limit=200)}"


def _log_retry(
    method: str, request: httpx.Request | None, cause: str, wait: float, attempt: int, policy: RetryPolicy
) -> None:
    logger.info(
        "retrying %s after %s in %.2f s (retry %d of %d)",
        _target(method, request),
        cause,
        wait,
        attempt,
        policy.max_retries,
    )


def _give_up(
    exc: httpx.TransportError, method: str, attempts: int, policy: RetryPolicy, deadline: Deadline
) -> APIConnectionError:
    request = _request_of(exc)
    timed_out = isinstance(exc, httpx.TimeoutException) or deadline.expired
    tries = f"{attempts} attempt" if attempts == 1 else f"{attempts} attempts"
    message = f"{_target(method, request)} {'timed out' if timed_out else 'failed'} after {tries}: "
    message += f"{type(exc).__name__}: {shown(str(exc), limit=300)}" if str(exc) else type(exc).__name__
    if certificate_failure(exc):
        message += (
            "; the PBX's TLS certificate was not accepted (not retried): for a self-signed certificate pass "
            "verify='/path/to/ca.pem', or an http_client configured for it"
        )
    elif attempts <= policy.max_retries and deadline.expired:
        message += "; the call's timeout ran out before another attempt"
    elif attempts <= policy.max_retries and is_retryable("GET", error=exc) and not is_retryable(method, error=exc):
        message += f"; not retried, as the PBX may have received the {method.upper()}: check before repeating it"
    if request is not None:
        exc.request = redacted_request(request)  # it stays reachable as the new error's __cause__
    if timed_out:
        return APITimeoutError(message, request=request)
    return APIConnectionError(message, request=request)
