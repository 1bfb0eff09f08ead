"""Every request the server received, for tests to assert on what a client actually sent.

Thread-safe: uvicorn appends from its thread while a test reads from its own. A bounded ring: the newest
``capacity`` requests are kept (the server's ``request_log_size``), so a long run does not hold every body
forever. Secrets are not kept in any form (:mod:`._redact`): credentials in headers, query strings, form and
JSON bodies are redacted by name, and the values the server knows to be secret are scrubbed from the rest.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from ._redact import REDACTED, redact_body, redact_header, redact_target, scrub, scrub_text

__all__ = ["DEFAULT_LOG_SIZE", "REDACTED", "RecordedRequest", "RequestLog"]

DEFAULT_LOG_SIZE = 5000


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
    """The newest requests a server received (at most ``capacity``), oldest first; iterable, indexable, clearable.

    ``secrets`` returns the values to scrub from every record (the server's client secrets, its live tokens).
    """

    def __init__(self, capacity: int = DEFAULT_LOG_SIZE, *, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        if capacity < 1:
            raise ValueError("the request log must hold at least 1 request")
        self.capacity = capacity
        self._secrets = secrets
        self._lock = threading.Lock()
        self._items: deque[RecordedRequest] = deque(maxlen=capacity)

    def record(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> RecordedRequest:
        """Keep one request, without its secrets."""
        known = [s for s in self._secrets() if s]
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        safe_headers = tuple((k, scrub_text(redact_header(k, v), known)) for k, v in headers)
        safe_path = scrub_text(redact_target(path), known)
        try:
            safe_body = scrub(redact_body(content_type, body), known)
        except Exception:  # a body the redaction cannot read is not kept at all
            safe_body = REDACTED.encode()
        item = RecordedRequest(method, safe_path, safe_headers, safe_body)
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
