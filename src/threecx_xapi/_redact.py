"""What may be shown of text and requests that can hold secrets or come from a hostile server.

One place decides it, in one order: secrets are blanked first (on the whole text, so no truncation can cut
a secret in half and leave the rest), then control characters are escaped (so a CR, LF, NUL or ANSI escape
from a server or a caller's header cannot forge a log line or restyle a terminal), then the text is cut.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

import httpx

__all__ = ["REDACTED", "escape_controls", "redact", "redacted_request", "redacted_response", "shown"]

REDACTED = "***"

_CREDENTIAL = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# C0 controls, DEL, C1 controls and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MIN_SECRET = 4  # shorter "secrets" would blank ordinary words
_SECRET_FIELDS = frozenset({"client_secret", "password", "refresh_token", "access_token"})


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with Bearer/Basic credentials, JWTs and each of ``secrets`` (also URL-encoded) blanked."""
    text = _JWT.sub(REDACTED, _CREDENTIAL.sub(rf"\1 {REDACTED}", text))
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET:
            for form in {secret, quote_plus(secret), quote(secret, safe="")}:
                text = text.replace(form, REDACTED)
    return text


def escape_controls(text: str) -> str:
    """Control characters as visible escapes (``\\n``, ``\\x1b``, ``\\u2028``); everything else unchanged."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str, secrets: Iterable[str] = (), *, limit: int | None = None) -> str:
    """``text`` as it may appear in a message, warning or log line: redacted, escaped, then cut to ``limit``."""
    text = escape_controls(redact(text, secrets))
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return text


def redacted_request(request: httpx.Request, secrets: Iterable[str] = ()) -> httpx.Request:
    """A copy of ``request`` safe to keep on an exception: no credentials in headers, body or URL.

    ``Authorization`` keeps its scheme only; a form body (the token request) has its secret fields blanked;
    any other body is redacted like text.
    """
    secrets = tuple(secrets)
    headers = httpx.Headers(request.headers)
    for name in ("Authorization", "Proxy-Authorization"):
        if name in headers:
            scheme = headers[name].split(" ", 1)[0]
            headers[name] = f"{scheme} {REDACTED}" if scheme != headers[name] else REDACTED
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    if content:
        if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            pairs = parse_qsl(content.decode("latin-1"), keep_blank_values=True)
            form = urlencode([(k, REDACTED if k in _SECRET_FIELDS else redact(v, secrets)) for k, v in pairs])
            content_bytes = form.encode("latin-1")
        else:
            content_bytes = redact(content.decode("utf-8", "replace"), secrets).encode("utf-8")
        headers["Content-Length"] = str(len(content_bytes))
    else:
        content_bytes = b""
    url = httpx.URL(redact(str(request.url), secrets)) if secrets else request.url
    return httpx.Request(request.method, url, headers=headers, content=content_bytes, extensions={})


def redacted_response(response: httpx.Response, secrets: Iterable[str] = ()) -> httpx.Response:
    """A copy of ``response`` safe to keep on an exception: its body redacted, its request redacted.

    The copy is already read and decoded (no ``Content-Encoding``), so it pickles and reads back as it was.
    """
    secrets = tuple(secrets)
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    if content:
        encoding = response.encoding or "utf-8"
        try:
            text = content.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            encoding, text = "utf-8", content.decode("utf-8", "replace")
        content = redact(text, secrets).encode(encoding, "replace")
    headers = httpx.Headers(response.headers)
    for name in ("Content-Encoding", "Transfer-Encoding", "Content-Length", "Set-Cookie"):
        headers.pop(name, None)
    try:
        request: httpx.Request | None = redacted_request(response.request, secrets)
    except RuntimeError:  # a Response built by hand has no request
        request = None
    copy = httpx.Response(response.status_code, headers=headers, content=content, request=request)
    with contextlib.suppress(RuntimeError):  # only a response that went through a client has one
        copy.elapsed = response.elapsed
    copy.extensions = {k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")}
    return copy
