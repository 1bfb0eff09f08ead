"""From an error response to the exception raised for it: the class by status, a one-line message, a hint.

Messages are built from redacted text only (see :mod:`._redact`), escaped, then cut to length, so a server
cannot smuggle a credential, a forged log line or a terminal escape into ``str(exc)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from ._error_body import SNIPPET_LIMIT, ErrorBody, parse_error_body
from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._redact import shown

__all__ = ["status_error_from_response", "token_error_from_response"]

_SUMMARY_LIMIT = 1000
_DETAILS_SHOWN = 5

_FORBIDDEN_HINT = (
    "the API client needs the System Owner role, and the console restrictions "
    "(IP allow list) must admit this machine's address"
)
_FUNCTION_HINT = (
    "OData function parameters must be complete, strings single-quoted, and in the order the API document lists them"
)

_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIStatusError]:
    """The exception class for a status: by code, 5xx are all :class:`InternalServerError`."""
    return InternalServerError if status >= 500 else _STATUS_CLASSES.get(status, APIStatusError)


def status_error_from_response(
    response: httpx.Response, *, hint_client_id: str | None = None, secrets: Sequence[str] = ()
) -> APIStatusError:
    """Build the exception for a non-success ``response``, choosing the class by status code.

    ``hint_client_id`` names the principal in the message of a 401 (never the secret). Bearer tokens, JWTs
    and the given ``secrets`` are blanked wherever a server echoed them into the body.
    """
    parsed = parse_error_body(response, secrets)
    description = _describe(response, parsed, hint=_hint(response, hint_client_id), secrets=secrets)
    return _build(error_class(response.status_code), description, response, parsed, secrets)


def token_error_from_response(
    response: httpx.Response,
    *,
    client_id: str | None,
    url: str,
    secrets: Sequence[str] = (),
    path_prefix: str = "",
) -> APIStatusError:
    """The exception for a token endpoint that answered without a token.

    Only 400 and 401 mean the credentials were refused (:class:`AuthenticationError`); a 5xx is an
    :class:`InternalServerError`, a 429 a :class:`RateLimitError`, a redirect an :class:`APIStatusError`
    naming where it points (redirects are never followed: the secret would go along).
    """
    status = response.status_code
    who = f"client id {shown(repr(client_id))}" if client_id is not None else "this principal"
    hint = None
    if response.is_redirect:
        hint = (
            f"the token endpoint redirects to {_location(response)}; redirects are not followed for token "
            "requests (the secret would go along): give the PBX's own address as base_url"
        )
    elif status == 403:
        hint = _FORBIDDEN_HINT
    elif status == 404:
        hint = f"no token endpoint at {url}; base_url should be the PBX root, e.g. https://pbx.example.com:5001"
        if path_prefix:
            hint += f" (the path {shown(path_prefix, limit=80)!s} in base_url is kept as a reverse-proxy prefix)"
    cls = AuthenticationError if status in (400, 401) else error_class(status)
    parsed = parse_error_body(response, secrets)
    description = f"token request for {who} failed: " + _describe(response, parsed, hint=hint, url=url, secrets=secrets)
    return _build(cls, description, response, parsed, secrets)


def _build(
    cls: type[APIStatusError],
    description: str,
    response: httpx.Response,
    parsed: ErrorBody,
    secrets: Sequence[str],
) -> APIStatusError:
    return cls(
        description,
        response=response,
        code=parsed.code,
        message=parsed.message,
        target=parsed.target,
        details=parsed.details,
        secrets=secrets,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _summary(parsed: ErrorBody) -> str:
    message = _one_line(parsed.message) if parsed.message else ""
    if parsed.code and parsed.code not in message:
        message = f"{parsed.code}: {message}" if message else parsed.code
    extra: list[str] = []
    for detail in parsed.details:
        text = _one_line(detail.message or detail.code or "")
        if detail.target and detail.target not in text:
            text = f"{detail.target}: {text}" if text else detail.target
        if text and text not in message and text not in extra:
            extra.append(text)
    if extra:
        listed = "; ".join(extra[:_DETAILS_SHOWN])
        if len(extra) > _DETAILS_SHOWN:
            listed += f"; and {len(extra) - _DETAILS_SHOWN} more"
        message = f"{message} ({listed})" if message else listed
    if not message and parsed.snippet:
        return shown(parsed.snippet, limit=SNIPPET_LIMIT)
    return shown(message, limit=_SUMMARY_LIMIT)


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a Response built by hand has no request
        return None


def _describe(
    response: httpx.Response,
    parsed: ErrorBody,
    *,
    hint: str | None,
    secrets: Sequence[str],
    url: str | None = None,
) -> str:
    request = _request_of(response)
    status = shown(f"{response.status_code} {response.reason_phrase}".strip(), limit=100)
    if request is None:
        head = f"HTTP {status}"
    else:
        head = f"{request.method} {shown(url or request.url.path, secrets, limit=300)} -> {status}"
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
            f"client id {shown(repr(client_id))} was not accepted; check that the API client exists, is enabled and "
            "its secret is current (3CX keeps one live token per principal: another process using it revokes ours)"
        )
    if status == 403:
        return _FORBIDDEN_HINT
    if status == 404:
        request = _request_of(response)
        if request is not None and "/Pbx." in request.url.path and "(" in request.url.path:
            return _FUNCTION_HINT
    return None


def _location(response: httpx.Response) -> str:
    """Where a redirect points, without userinfo or query: ``scheme://host[:port]/path``, escaped."""
    raw = response.headers.get("Location", "")
    try:
        location = response.url.join(raw) if _request_of(response) is not None else httpx.URL(raw)
    except Exception:
        return "an unreadable Location"
    port = f":{location.port}" if location.port else ""
    text = f"{location.scheme}://{location.host}{port}{location.path}" if location.host else location.path
    return shown(text, limit=300) or "an empty Location"
