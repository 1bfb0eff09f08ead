"""The exception hierarchy, and the translation of XAPI error responses into it.

XAPI speaks OData v4, so most errors carry ``{"error": {"code", "message", "details"}}``. Proxies, the
3CX web server and the token endpoint answer with HTML, plain text, OAuth ``{"error", "error_description"}``
or ASP.NET problem details instead. Parsing never raises: an error while describing an error would hide
the one that matters.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ErrorDetail",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "XAPIError",
    "status_error_from_response",
]

_SNIPPET_LIMIT = 200
_SUMMARY_LIMIT = 1000
_DETAILS_SHOWN = 5

_FORBIDDEN_HINT = (
    "the API client needs the System Owner role, and the console restrictions "
    "(IP allow list) must admit this machine's address"
)
_FUNCTION_HINT = (
    "OData function parameters must be complete, strings single-quoted, and in the order the API document lists them"
)


class XAPIError(Exception):
    """Base class of every error this package raises, so callers can catch one type."""


class APIConnectionError(XAPIError):
    """The PBX could not be reached, or the connection broke before an answer arrived."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The PBX did not answer in time; the request may or may not have taken effect."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of an OData error's ``details``; ``target`` is usually the offending property."""

    code: str | None = None
    message: str | None = None
    target: str | None = None


class APIStatusError(XAPIError):
    """The PBX answered with a non-success status.

    ``code``, ``message``, ``target`` and ``details`` come from the OData error body (for OAuth bodies from
    the token endpoint: ``error`` and ``error_description``); ``str()`` is a one-line summary a person can act on.
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
    ) -> None:
        super().__init__(description)
        self.status_code = response.status_code
        self.response = response
        self.code = code
        self.message = message
        self.target = target
        self.details = list(details)


class BadRequestError(APIStatusError):
    """400: the payload or the URL was rejected; ``details`` usually names the property."""


class AuthenticationError(APIStatusError):
    """401, or any failure of the token endpoint: the credentials or the token were not accepted."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but the principal lacks the System Owner role or is blocked by console restrictions."""


class NotFoundError(APIStatusError):
    """404: no such entity, or (for ``Pbx.*`` functions) a parameter list the server could not match."""


class ConflictError(APIStatusError):
    """409: the change clashes with existing data."""


class UnprocessableEntityError(APIStatusError):
    """422: well-formed, but semantically invalid."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says how long the server asked to wait, if it did."""

    @property
    def retry_after(self) -> float | None:
        return _retry_after(self.response.headers.get("Retry-After"))


class InternalServerError(APIStatusError):
    """5xx: the PBX (or a proxy in front of it) failed."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_from_response(
    response: httpx.Response, *, hint_client_id: str | None = None, secrets: Sequence[str] = ()
) -> APIStatusError:
    """Build the exception for a non-success ``response``, choosing the class by status code.

    ``hint_client_id`` names the principal in the message of a 401 (never the secret). Bearer tokens, JWTs
    and the given ``secrets`` are blanked wherever a server echoed them into the body.
    """
    status = response.status_code
    cls = InternalServerError if status >= 500 else _STATUS_CLASSES.get(status, APIStatusError)
    parsed = _scrub_parsed(_parse_error_body(response), secrets)
    description = _describe(response, parsed, hint=_hint(response, hint_client_id))
    return cls(
        description,
        response=response,
        code=parsed.code,
        message=parsed.message,
        target=parsed.target,
        details=parsed.details,
    )


def _token_error_from_response(
    response: httpx.Response, *, client_id: str | None, url: str | None = None, secrets: Sequence[str] = ()
) -> AuthenticationError:
    """Any unusable answer of the token endpoint is an authentication failure, whatever its status."""
    parsed = _scrub_parsed(_parse_error_body(response), secrets)
    who = f"client id {client_id!r}" if client_id is not None else "this principal"
    hint = None
    if response.status_code == 403:
        hint = _FORBIDDEN_HINT
    elif response.is_redirect:
        hint = f"the token endpoint redirects to {_safe_location(response)}; configure that URL instead"
    elif response.is_success:
        hint = "the answer holds no access_token; is the token URL right?"
    description = f"token request for {who} failed: " + _describe(response, parsed, hint=hint, url=url)
    return AuthenticationError(
        description,
        response=response,
        code=parsed.code,
        message=parsed.message,
        target=parsed.target,
        details=parsed.details,
    )


@dataclass(frozen=True)
class _ParsedError:
    code: str | None = None
    message: str | None = None
    target: str | None = None
    details: tuple[ErrorDetail, ...] = ()
    snippet: str | None = None


def _parse_error_body(response: httpx.Response) -> _ParsedError:
    try:
        raw = response.content
    except httpx.ResponseNotRead:
        return _ParsedError()
    if not raw.strip():
        return _ParsedError()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return _ParsedError(snippet=_snippet(_text(response, raw)))
    parsed = _from_json(data)
    if parsed is None:
        return _ParsedError(snippet=_snippet(_text(response, raw)))
    return parsed


def _from_json(data: object) -> _ParsedError | None:
    if not isinstance(data, Mapping):
        return None
    error = data.get("error", data.get("odata.error"))
    if isinstance(error, Mapping):  # OData (v4, or v3's "odata.error")
        return _ParsedError(
            code=_str(error.get("code")),
            message=_str(error.get("message")),
            target=_str(error.get("target")),
            details=_details(error.get("details")),
        )
    if isinstance(error, str):  # OAuth 2, from /connect/token
        return _ParsedError(code=_str(error), message=_str(data.get("error_description")))
    message = _str(data.get("detail")) or _str(data.get("title")) or _str(data.get("message"))
    details = _problem_details(data.get("errors"))
    if message is None and not details:
        return None
    return _ParsedError(message=message, details=details)


def _str(value: object) -> str | None:
    if isinstance(value, Mapping):  # OData v3 message: {"lang": ..., "value": ...}
        value = value.get("value")
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _details(value: object) -> tuple[ErrorDetail, ...]:
    if not isinstance(value, list):
        return ()
    details = []
    for item in value:
        if isinstance(item, Mapping):
            detail = ErrorDetail(_str(item.get("code")), _str(item.get("message")), _str(item.get("target")))
            if detail != ErrorDetail():
                details.append(detail)
    return tuple(details)


def _problem_details(value: object) -> tuple[ErrorDetail, ...]:
    """ASP.NET model-binding errors: ``{"errors": {"Property": ["message", ...]}}``."""
    if not isinstance(value, Mapping):
        return ()
    details = []
    for target, messages in value.items():
        for message in messages if isinstance(messages, list) else [messages]:
            text = _str(message)
            if text is not None:
                details.append(ErrorDetail(message=text, target=_str(target)))
    return tuple(details)


def _text(response: httpx.Response, raw: bytes) -> str:
    try:
        return response.text
    except Exception:  # an exotic charset must not hide the status
        return raw.decode("utf-8", "replace")


_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_CREDENTIAL = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def _snippet(text: str) -> str | None:
    """A short, single-line excerpt of a body that is not a structured error, with credentials blanked."""
    text = text[: 20 * _SNIPPET_LIMIT]
    if "<" in text and ">" in text:
        title = _TITLE.search(text)
        text = title.group(1) if title and title.group(1).strip() else _TAG.sub(" ", _SCRIPT.sub(" ", text))
        import html  # only for HTML error pages

        text = html.unescape(text)
    text = _JWT.sub("***", _CREDENTIAL.sub(r"\1 ***", _SPACE.sub(" ", text).strip()))
    return _truncate(text, _SNIPPET_LIMIT) or None


def _scrub(text: str | None, secrets: Sequence[str]) -> str | None:
    """Blank credentials in text a server sent back: Bearer/Basic values, JWTs and known secrets."""
    if not text:
        return text
    text = _JWT.sub("***", _CREDENTIAL.sub(r"\1 ***", text))
    for secret in secrets:
        if secret and len(secret) >= 4:
            for form in {secret, quote_plus(secret), quote(secret, safe="")}:
                text = text.replace(form, "***")
    return text


def _scrub_parsed(parsed: _ParsedError, secrets: Sequence[str]) -> _ParsedError:
    return _ParsedError(
        code=_scrub(parsed.code, secrets),
        message=_scrub(parsed.message, secrets),
        target=_scrub(parsed.target, secrets),
        details=tuple(
            ErrorDetail(_scrub(d.code, secrets), _scrub(d.message, secrets), _scrub(d.target, secrets))
            for d in parsed.details
        ),
        snippet=_scrub(parsed.snippet, secrets),
    )


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _summary(parsed: _ParsedError) -> str:
    message = _one_line(parsed.message) if parsed.message else ""
    if parsed.code and parsed.code not in message:
        message = f"{parsed.code}: {message}" if message else parsed.code
    extra = []
    for detail in parsed.details:
        text = _one_line(detail.message or detail.code or "")
        if detail.target and detail.target not in text:
            text = f"{detail.target}: {text}" if text else detail.target
        if text and text not in message and text not in extra:
            extra.append(text)
    if extra:
        shown = "; ".join(extra[:_DETAILS_SHOWN])
        if len(extra) > _DETAILS_SHOWN:
            shown += f"; and {len(extra) - _DETAILS_SHOWN} more"
        message = f"{message} ({shown})" if message else shown
    if not message and parsed.snippet:
        message = parsed.snippet
    return _truncate(message, _SUMMARY_LIMIT)


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a Response built by hand has no request
        return None


def _describe(response: httpx.Response, parsed: _ParsedError, *, hint: str | None, url: str | None = None) -> str:
    request = _request_of(response)
    status = f"{response.status_code} {response.reason_phrase}".strip()
    head = f"HTTP {status}" if request is None else f"{request.method} {url or request.url.path} -> {status}"
    summary = _summary(parsed)
    text = f"{head}: {summary}" if summary else head
    return f"{text}; hint: {hint}" if hint else text


def _hint(response: httpx.Response, client_id: str | None) -> str | None:
    status = response.status_code
    if status == 401:
        if client_id is None:
            return (
                "the token was not accepted; it may have expired, or been revoked by a newer token "
                "for the same principal (3CX keeps one live token per principal)"
            )
        return (
            f"client id {client_id!r} was not accepted; check that the API client exists, is enabled and its secret "
            "is current (3CX keeps one live token per principal: another process using it revokes ours)"
        )
    if status == 403:
        return _FORBIDDEN_HINT
    if status == 404:
        request = _request_of(response)
        if request is not None and "/Pbx." in request.url.path and "(" in request.url.path:
            return _FUNCTION_HINT
    return None


def _safe_location(response: httpx.Response) -> str:
    try:
        location = httpx.URL(response.headers.get("Location", ""))
    except Exception:
        return "another URL"
    port = f":{location.port}" if location.port else ""
    return f"{location.scheme}://{location.host}{port}{location.path}" if location.host else location.path


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


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
    """The start of a body: credentials blanked before it is cut (the module's one scrubber), escaped."""
    text = _scrub(content[: _SNIPPET_LIMIT * 20].decode("utf-8", "replace"), ()) or ""
    text = _truncate(text, _SNIPPET_LIMIT)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
