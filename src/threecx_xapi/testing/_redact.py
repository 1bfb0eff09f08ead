"""Secrets taken out of what the request log keeps, in every form a client may have sent them.

A request log ends up in test reports and CI artifacts, so nothing secret may stay in it, whatever the client
did: credentials are redacted by name in form bodies (``application/x-www-form-urlencoded`` and
``multipart/form-data``), JSON bodies (at any depth) and query strings, on any path (a token request sent to
``/connect/token/`` or ``/Connect/Token`` is still a token request); ``Authorization``, ``Cookie``,
``X-Api-Key`` and similar headers keep at most their scheme. Last, the values the server itself knows to be
secret (its client secrets, the tokens it issued) are scrubbed from whatever is left, so a secret under an
unexpected name or in a body that does not parse does not survive either.

Bodies without a secret are kept byte for byte; only a body that held one is rewritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode

from ._forms import FormError, boundary_of, parse_multipart

__all__ = ["REDACTED", "is_secret_name", "redact_body", "redact_header", "redact_target", "scrub"]

REDACTED = "<redacted>"
_SECRET_NAME = re.compile(
    r"secret|password|passwd|pwd|passphrase|token|api[-_]?key|apikey|assertion|credential|^code$|pin$|pincode",
    re.IGNORECASE,
)
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"}
)
_SCHEMED_HEADERS = frozenset({"authorization", "proxy-authorization"})
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+")
_MIN_SCRUBBED = 6  # shorter "secrets" would scrub ordinary text


def is_secret_name(name: str) -> bool:
    """Whether a field, parameter or property called ``name`` holds a credential."""
    return bool(_SECRET_NAME.search(name))


def redact_header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in _SCHEMED_HEADERS:
        scheme = value.split(" ", 1)[0] if " " in value.strip() else ""
        return f"{scheme} {REDACTED}".strip()
    if lowered in _SECRET_HEADERS or is_secret_name(lowered):
        return REDACTED
    return value


def redact_target(target: str) -> str:
    """The raw path and query with the values of secret-named query parameters replaced."""
    path, sep, query = target.partition("?")
    if not sep or not query:
        return target
    parts = []
    changed = False
    for part in query.split("&"):
        name, eq, _ = part.partition("=")
        if eq and is_secret_name(unquote_plus(name)):
            parts.append(f"{name}={quote(REDACTED, safe='')}")
            changed = True
        else:
            parts.append(part)
    return f"{path}?{'&'.join(parts)}" if changed else target


def redact_body(content_type: str, body: bytes) -> bytes:
    """``body`` with the values of secret-named fields replaced, by what ``content_type`` says it is.

    A body that claims a form or JSON type but does not parse is replaced whole when it may hold a secret.
    """
    if not body:
        return body
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        return _redact_multipart(content_type, body)
    if media == "application/x-www-form-urlencoded" or (not media and b"=" in body and body.lstrip()[:1] not in b"{["):
        return _redact_form(body)
    if media.endswith("json") or body.lstrip()[:1] in (b"{", b"["):
        return _redact_json(body)
    return body


def scrub(data: bytes, secrets: Iterable[str]) -> bytes:
    """``data`` without any of ``secrets`` (as sent or percent-encoded) and without any JWT."""
    for secret in secrets:
        if len(secret) < _MIN_SCRUBBED:
            continue
        for form in {secret, quote(secret, safe=""), quote(secret, safe="").replace("%20", "+")}:
            encoded = form.encode("utf-8")
            if encoded in data:
                data = data.replace(encoded, REDACTED.encode())
    return _JWT.sub(REDACTED.encode(), data)


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    return scrub(text.encode("utf-8", "surrogateescape"), secrets).decode("utf-8", "surrogateescape")


# -- by content type -------------------------------------------------------------------------------------


def _redact_form(body: bytes) -> bytes:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return REDACTED.encode()
    if not any(is_secret_name(name) for name, _ in pairs):
        return body
    return urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs]).encode()


def _redact_multipart(content_type: str, body: bytes) -> bytes:
    try:
        fields = parse_multipart(content_type, body)
        boundary = boundary_of(content_type)
    except FormError:
        return REDACTED.encode()
    if not any(is_secret_name(f.name) for f in fields):
        return body
    out = bytearray()
    for f in fields:
        value = REDACTED.encode() if is_secret_name(f.name) else f.value
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{f.name}"\r\n\r\n'.encode()
        out += value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def _redact_json(body: bytes) -> bytes:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return body  # not JSON after all: scrub() still takes out what the server knows to be secret
    redacted, changed = _redact_value(value)
    if not changed:
        return body
    return json.dumps(redacted, separators=(",", ":")).encode("ascii")  # ASCII: lone surrogates stay escaped


def _redact_value(value: Any) -> tuple[Any, bool]:
    """Secret-named string values replaced at any depth; without recursion (a body may nest deeply)."""
    changed = False
    root: list[Any] = [value]
    stack: list[Any] = [root]
    while stack:
        container = stack.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in list(items):
            if isinstance(key, str) and is_secret_name(key) and isinstance(item, str):
                container[key] = REDACTED
                changed = True
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return root[0], changed
