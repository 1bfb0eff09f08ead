"""The exception hierarchy: every error this package raises is an :class:`XAPIError`.

Exceptions travel: into logs, error trackers, Celery results and multiprocessing pipes. So the request and
response an exception carries are redacted copies (no ``Authorization`` value, no token-request secret, no
echoed credential in the body), and every exception pickles to the same class with the same message.
Building an exception from a response (class, message, hint) is :mod:`._status_errors`' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ._redact import redacted_request, redacted_response, shown
from ._retry_after import parse_retry_after

_EXCERPT_LIMIT = 200

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ErrorDetail",
    "FleetError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "XAPIError",
]


def _restore(cls: type[XAPIError], args: tuple[Any, ...], state: dict[str, Any]) -> XAPIError:
    """Unpickle without calling ``__init__``, whose keyword-only arguments are not in ``args``."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class XAPIError(Exception):
    """Base class of every error this package raises, so callers can catch one type."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class APIConnectionError(XAPIError):
    """The PBX could not be reached, or the connection broke before an answer arrived."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = redacted_request(request) if request is not None else None


class APITimeoutError(APIConnectionError):
    """The PBX did not answer in time (or the call's ``timeout`` ran out); it may have acted on the request."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class ResponseTooLargeError(XAPIError):
    """The answer's body exceeded ``max_response_size`` (counted after decompression); reading stopped there."""

    def __init__(self, message: str, *, limit: int, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.request = redacted_request(request) if request is not None else None


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of an OData error's ``details``; ``target`` is usually the offending property."""

    code: str | None = None
    message: str | None = None
    target: str | None = None


class APIStatusError(XAPIError):
    """The PBX answered with a non-success status.

    ``code``, ``message``, ``target`` and ``details`` come from the OData error body (for OAuth bodies from
    the token endpoint: ``error`` and ``error_description``), with credentials blanked; ``str()`` is a one-line
    summary a person can act on. ``response`` is a redacted copy of the answer (its ``request`` too).
    """

    status_code: int
    response: httpx.Response
    code: str | None
    message: str | None
    target: str | None
    details: list[ErrorDetail]

    def __init__(
        self,
        description: str,
        *,
        response: httpx.Response,
        code: str | None = None,
        message: str | None = None,
        target: str | None = None,
        details: Sequence[ErrorDetail] = (),
        secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(description)
        self.status_code = response.status_code
        self.response = redacted_response(response, secrets)
        self.code = code
        self.message = message
        self.target = target
        self.details = list(details)

    @property
    def request(self) -> httpx.Request | None:
        """The (redacted) request that got this answer."""
        try:
            return self.response.request
        except RuntimeError:
            return None


class BadRequestError(APIStatusError):
    """400: the payload or the URL was rejected; ``details`` usually names the property."""


class AuthenticationError(APIStatusError):
    """401, or 400/401 from the token endpoint: the credentials or the token were not accepted."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but the principal lacks the System Owner role or is blocked by console restrictions."""


class NotFoundError(APIStatusError):
    """404: no such entity, or (for ``Pbx.*`` functions) a parameter list the server could not match."""


class UnsupportedOperationError(NotFoundError):
    """The PBX does not have the operation: its XAPI is older (or other) than the one this client speaks.

    Raised in place of the 404 (or 405) a PBX answers for a route it does not know; ``operation`` names the
    operation (its id when this client knows the route, else method and path), ``pbx_version`` is the PBX's
    ``X-3CX-Version`` (None when it sent none), ``xapi_version`` the XAPI this client was generated for.
    A ``NotFoundError``, so code catching that keeps working.
    """

    operation: str
    pbx_version: str | None
    xapi_version: str


class ConflictError(APIStatusError):
    """409: the change clashes with existing data."""


class UnprocessableEntityError(APIStatusError):
    """422: well-formed, but semantically invalid."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says how long the server asked to wait, if it did."""

    @property
    def retry_after(self) -> float | None:
        """Seconds from the ``Retry-After`` header (delta-seconds or HTTP date), capped; None when absent."""
        return parse_retry_after(self.response.headers.get("Retry-After"))


class InternalServerError(APIStatusError):
    """5xx: the PBX (or a proxy in front of it) failed."""


class FleetError(XAPIError):
    """Some PBXs of a fleet failed: ``errors`` maps each failed PBX's name to its error, in name order."""

    def __init__(self, errors: dict[str, Exception], total: int) -> None:
        self.errors = dict(errors)
        self.total = total
        listed = "; ".join(f"{name}: {type(error).__name__}: {error}" for name, error in self.errors.items())
        super().__init__(f"{len(self.errors)} of {total} PBXs failed: {listed}")


class APIResponseValidationError(XAPIError):
    """A 2xx answer whose body is not what the operation declares (an HTML login page, truncated JSON, ...).

    Carries ``method``, ``url``, ``status_code`` and a short ``excerpt`` of the body, with credentials blanked.
    """

    def __init__(self, response: httpx.Response, problem: str) -> None:
        request = response.request
        self.method = request.method
        self.url = str(request.url)
        self.status_code = response.status_code
        self.problem = problem
        self.excerpt = _excerpt(response.content)
        super().__init__(f"{self.method} {self.url}: {self.status_code} answer {problem}; body: {self.excerpt!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_validation_error, (self.method, self.url, self.status_code, self.problem, self.excerpt))


def _rebuild_validation_error(
    method: str, url: str, status_code: int, problem: str, excerpt: str
) -> APIResponseValidationError:
    error = APIResponseValidationError.__new__(APIResponseValidationError)
    error.method, error.url, error.status_code, error.problem, error.excerpt = (
        method,
        url,
        status_code,
        problem,
        excerpt,
    )
    Exception.__init__(error, f"{method} {url}: {status_code} answer {problem}; body: {excerpt!r}")
    return error


def _excerpt(content: bytes) -> str:
    """The start of a body: credentials blanked before it is cut, control characters escaped (see _redact)."""
    return shown(content[: _EXCERPT_LIMIT * 20].decode("utf-8", "replace"), limit=_EXCERPT_LIMIT)
