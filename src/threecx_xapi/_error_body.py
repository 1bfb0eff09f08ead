"""Reading what an error response says, whatever shape it takes.

XAPI speaks OData v4, so most errors carry ``{"error": {"code", "message", "details"}}``. Proxies, the 3CX web
server and the token endpoint answer with HTML, plain text, OAuth ``{"error", "error_description"}`` or
ASP.NET problem details instead. Every string read is redacted (credentials and the given secrets blanked)
before anything else happens to it. Parsing never raises: an error while describing an error would hide the
one that matters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import httpx

from ._exceptions import ErrorDetail
from ._redact import redact

__all__ = ["ErrorBody", "parse_error_body"]

SNIPPET_LIMIT = 200
_SCAN_LIMIT = 20 * SNIPPET_LIMIT  # of an HTML page, how much is searched for a title or text

_Text: TypeAlias = Callable[[object], "str | None"]


@dataclass(frozen=True)
class ErrorBody:
    """The fields of an error body, redacted; ``snippet`` is a short excerpt when the body had no structure."""

    code: str | None = None
    message: str | None = None
    target: str | None = None
    details: tuple[ErrorDetail, ...] = ()
    snippet: str | None = None


def parse_error_body(response: httpx.Response, secrets: Sequence[str] = ()) -> ErrorBody:
    """What ``response`` (already read) says went wrong, with credentials and ``secrets`` blanked."""
    try:
        raw = response.content
    except httpx.ResponseNotRead:
        return ErrorBody()
    if not raw.strip():
        return ErrorBody()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return ErrorBody(snippet=_snippet(redact(_text(response, raw), secrets), secrets))
    parsed = _from_json(data, secrets)
    if parsed is None:
        return ErrorBody(snippet=_snippet(redact(_text(response, raw), secrets), secrets))
    return parsed


def _from_json(data: object, secrets: Sequence[str]) -> ErrorBody | None:
    if not isinstance(data, Mapping):
        return None

    def text(value: object) -> str | None:
        found = _str(value)
        return redact(found, secrets) if found is not None else None

    error = data.get("error", data.get("odata.error"))
    if isinstance(error, Mapping):  # OData (v4, or v3's "odata.error")
        return ErrorBody(
            code=text(error.get("code")),
            message=text(error.get("message")),
            target=text(error.get("target")),
            details=_details(error.get("details"), text),
        )
    if isinstance(error, str):  # OAuth 2, from /connect/token
        return ErrorBody(code=text(error), message=text(data.get("error_description")))
    message = text(data.get("detail")) or text(data.get("title")) or text(data.get("message"))
    details = _problem_details(data.get("errors"), text)
    if message is None and not details:
        return None
    return ErrorBody(message=message, details=details)


def _str(value: object) -> str | None:
    if isinstance(value, Mapping):  # OData v3 message: {"lang": ..., "value": ...}
        value = value.get("value")
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if abs(value) < 10**30 else None
    if isinstance(value, float):
        return repr(value)
    return None


def _details(value: object, text: _Text) -> tuple[ErrorDetail, ...]:
    if not isinstance(value, list):
        return ()
    details = []
    for item in value:
        if isinstance(item, Mapping):
            detail = ErrorDetail(text(item.get("code")), text(item.get("message")), text(item.get("target")))
            if detail != ErrorDetail():
                details.append(detail)
    return tuple(details)


def _problem_details(value: object, text: _Text) -> tuple[ErrorDetail, ...]:
    """ASP.NET model-binding errors: ``{"errors": {"Property": ["message", ...]}}``."""
    if not isinstance(value, Mapping):
        return ()
    details = []
    for target, messages in value.items():
        for message in messages if isinstance(messages, list) else [messages]:
            found = text(message)
            if found is not None:
                details.append(ErrorDetail(message=found, target=text(target)))
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


def _snippet(text: str, secrets: Sequence[str]) -> str | None:
    """A single-line excerpt of an (already redacted) body that is not a structured error; HTML by its title."""
    text = text[:_SCAN_LIMIT]
    if "<" in text and ">" in text:
        title = _TITLE.search(text)
        text = title.group(1) if title and title.group(1).strip() else _TAG.sub(" ", _SCRIPT.sub(" ", text))
        import html  # only for HTML error pages

        text = redact(html.unescape(text), secrets)  # again: an entity-encoded secret is one now
    return _SPACE.sub(" ", text).strip() or None
