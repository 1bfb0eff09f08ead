"""Every request the server received, for tests to assert on what a client actually sent.

Thread-safe: uvicorn appends from its thread while a test reads from its own. Secrets are not kept: the
``Authorization`` header keeps only its scheme (``Bearer <redacted>``) and a token request's ``client_secret``
is replaced, so a log that ends up in a test report leaks nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode

__all__ = ["RecordedRequest", "RequestLog"]

REDACTED = "<redacted>"


@dataclass(frozen=True)
class RecordedRequest:
    """One request: method, raw path and query as sent (still percent-encoded), headers, body bytes."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    @property
    def decoded_path(self) -> str:
        """The path and query percent-decoded, for readable assertions."""
        return unquote(self.path)


class RequestLog:
    """The requests a server received, oldest first; iterable, indexable, clearable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def record(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> RecordedRequest:
        safe_headers = tuple((k, _redact_header(k, v)) for k, v in headers)
        if path.split("?", 1)[0].endswith("/connect/token"):
            body = _redact_form(body)
        item = RecordedRequest(method, path, safe_headers, body)
        with self._lock:
            self._items.append(item)
        return item

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def matching(self, path_part: str, method: str | None = None) -> list[RecordedRequest]:
        """The requests whose raw or decoded path contains ``path_part`` (and whose method is ``method``)."""
        return [
            r
            for r in self.snapshot()
            if (path_part in r.path or path_part in r.decoded_path) and (method is None or r.method == method)
        ]

    @property
    def last(self) -> RecordedRequest | None:
        with self._lock:
            return self._items[-1] if self._items else None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _redact_header(name: str, value: str) -> str:
    if name.lower() in ("authorization", "proxy-authorization"):
        scheme = value.split(" ", 1)[0] if " " in value else ""
        return f"{scheme} {REDACTED}".strip()
    return value


def _redact_form(body: bytes) -> bytes:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return REDACTED.encode()
    return urlencode([(k, REDACTED if k == "client_secret" else v) for k, v in pairs]).encode()
