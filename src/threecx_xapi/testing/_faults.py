"""Failures on demand: what a PBX, its proxy or the network does to a client on a bad day.

Switched per test through ``server.faults`` and safe to change from any thread while requests are served.
All off by default; :meth:`Faults.clear` turns everything off again.

* ``latency`` delays every response (or those whose path contains a substring); the server's ``latency=``
  is the default :meth:`Faults.clear` returns to, and :meth:`Faults.delay_next` delays single requests;
* :meth:`Faults.fail_next` answers the next N requests with a status (429 with ``Retry-After``, 503, ...);
* :meth:`Faults.reset_next` sends the headers and part of the body, then drops the connection;
* :meth:`Faults.malformed_json_next` answers 200 with a truncated JSON body;
* :meth:`Faults.expire_token` makes the current token expired now (the next call gets 401);
* :meth:`Faults.set_top_cap` changes an entity set's ``$top`` limit.

One-shot faults queue in the order they were added; each request takes at most one, the first whose path
filter it matches. The path filter is a substring of the raw path and query (``"/Users"``, ``"$top=5"``);
statuses and resets can also be aimed at one HTTP method (``method="POST"``: the creates, not the listing).
One-shot faults hit API requests only: the token request a fresh client makes first is left alone unless the
fault is asked for with ``token=True`` (then it hits token requests only).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Fault", "Faults"]


@dataclass
class Fault:
    """One queued fault: ``kind`` is ``status``, ``reset``, ``malformed`` or ``delay``; ``remaining`` requests to
    hit; ``token`` aims it at token requests instead of API requests."""

    kind: str
    remaining: int
    path: str | None = None
    token: bool = False  # hits token requests instead of API requests
    delay: float = 0.0
    status: int = 0
    retry_after: float | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None  # only requests of this HTTP method (any when None)

    def applies(self, path: str, *, token: bool = False, method: str | None = None) -> bool:
        if self.method is not None and method is not None and self.method != method.upper():
            return False
        return self.token == token and (self.path is None or self.path in path)


class Faults:
    """The fault switches of one server (see the module docstring)."""

    def __init__(
        self,
        top_caps: Mapping[str, int] | None = None,
        *,
        expire_token: Callable[[str | None], None] | None = None,
        latency: float = 0.0,
    ) -> None:
        if not latency >= 0:
            raise ValueError("latency must be >= 0 seconds")
        self._lock = threading.Lock()
        self._default_caps = dict(top_caps or {})
        self._caps = dict(self._default_caps)
        self._queue: list[Fault] = []
        self._delays: list[Fault] = []
        self._default_latency = float(latency)
        self._latency = self._default_latency
        self._latency_path: str | None = None
        self._expire_token = expire_token

    # -- switches ------------------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds added before every response (0: none)."""
        with self._lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.set_latency(seconds)

    def set_latency(self, seconds: float, *, path: str | None = None) -> None:
        """Delay every response by ``seconds``, or only those whose path contains ``path``."""
        if not seconds >= 0:
            raise ValueError("latency must be >= 0 seconds")
        with self._lock:
            self._latency = float(seconds)
            self._latency_path = path

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        path: str | None = None,
        retry_after: float | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        token: bool = False,
        method: str | None = None,
    ) -> None:
        """Answer the next ``count`` API requests (matching ``path``) with ``status``, before they are handled.

        ``retry_after`` adds a ``Retry-After`` header (seconds); ``body`` replaces the default empty body.
        ``token=True`` aims at token requests (``/connect/token``) instead; ``method="POST"`` at one method only.
        """
        if not 100 <= status <= 599:
            raise ValueError(f"not an HTTP status: {status}")
        verb = method.upper() if method else None
        self._add(Fault("status", count, path, token, 0.0, status, retry_after, body, dict(headers or {}), verb))

    def reset_next(
        self, *, count: int = 1, path: str | None = None, token: bool = False, method: str | None = None
    ) -> None:
        """Drop the connection of the next ``count`` API (or, ``token=True``, token) requests mid-body (after the
        request was handled: a write has happened when the client sees the connection drop)."""
        self._add(Fault("reset", count, path, token, method=method.upper() if method else None))

    def malformed_json_next(self, *, count: int = 1, path: str | None = None, token: bool = False) -> None:
        """Answer the next ``count`` API (or, ``token=True``, token) requests with 200 and truncated JSON."""
        self._add(Fault("malformed", count, path, token))

    def delay_next(self, seconds: float, *, count: int = 1, path: str | None = None, token: bool = False) -> None:
        """Delay the next ``count`` API (or, ``token=True``, token) requests by ``seconds``, on top of ``latency``."""
        if not seconds >= 0:
            raise ValueError("a delay must be >= 0 seconds")
        fault = Fault("delay", count, path, token, float(seconds))
        if fault.remaining < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._delays.append(fault)

    def expire_token(self, client_id: str | None = None) -> None:
        """Expire the current token (of ``client_id``, default every principal) now."""
        if self._expire_token is not None:
            self._expire_token(client_id)

    def set_top_cap(self, entity_set: str, cap: int | None) -> None:
        """Limit ``$top`` on ``entity_set`` to ``cap`` (None: no limit)."""
        with self._lock:
            if cap is None:
                self._caps.pop(entity_set, None)
            else:
                if cap < 1:
                    raise ValueError("a $top cap must be >= 1")
                self._caps[entity_set] = int(cap)

    @property
    def top_caps(self) -> dict[str, int]:
        """A copy of the current ``$top`` caps by entity set."""
        with self._lock:
            return dict(self._caps)

    def clear(self) -> None:
        """Back to the configuration: the server's default latency, no queued faults, the configured ``$top`` caps."""
        with self._lock:
            self._queue.clear()
            self._delays.clear()
            self._latency = self._default_latency
            self._latency_path = None
            self._caps = dict(self._default_caps)

    # -- used by the app -----------------------------------------------------------------------------------

    def top_cap(self, entity_set: str) -> int | None:
        with self._lock:
            return self._caps.get(entity_set)

    def delay_for(self, path: str, *, token: bool = False) -> float:
        """The seconds this request waits: the latency, plus the first queued delay it matches (counted down)."""
        with self._lock:
            seconds = 0.0
            if self._latency and (self._latency_path is None or self._latency_path in path):
                seconds = self._latency
            taken = _take(self._delays, path, token)
            return seconds + (taken.delay if taken is not None else 0.0)

    def take(self, path: str, *, token: bool = False, method: str | None = None) -> Fault | None:
        """The fault this request gets, if any (counted down; spent faults are dropped)."""
        with self._lock:
            return _take(self._queue, path, token, method)

    def pending(self) -> int:
        """How many requests the queued one-shot faults (delays included) will still hit."""
        with self._lock:
            return sum(f.remaining for f in (*self._queue, *self._delays))

    def _add(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._queue.append(fault)


def _take(queue: list[Fault], path: str, token: bool, method: str | None = None) -> Fault | None:
    for fault in queue:
        if fault.applies(path, token=token, method=method):
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.remove(fault)
            return fault
    return None
