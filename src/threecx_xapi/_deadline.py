"""``timeout=`` as a deadline for the whole call: every attempt, every retry wait, every byte of the body.

httpx applies its timeouts to each phase (connect, each read, ...), so a server that drips one byte just
inside the read timeout holds a call forever, and retries multiply the rest. A :class:`Deadline` turns the
call's timeout into one instant on the monotonic clock; attempts get their phase timeouts cut to what is
left, retries are not started when their wait would overrun it, and body reading checks it between chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["EXTENSION", "SLACK", "Deadline"]

SLACK = 0.1
"""Seconds by which a phase timeout may exceed the time left before it is cut."""

EXTENSION = "threecx_xapi.deadline"
"""The request extension under which ``_send`` passes the call's deadline to the auth flow (token requests)."""


@dataclass(frozen=True)
class Deadline:
    """The instant (monotonic seconds) a call must be done by; ``at=None``: no deadline."""

    at: float | None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    @classmethod
    def after(cls, timeout: httpx.Timeout | float | None, *, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """The deadline ``timeout`` sets from now: its longest phase timeout (``Timeout(30, connect=10)``: 30 s)."""
        if timeout is None:
            return cls(None, clock)
        if not isinstance(timeout, httpx.Timeout):
            timeout = httpx.Timeout(timeout)
        phases = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t is not None]
        return cls(clock() + max(phases) if phases else None, clock)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline."""
        return None if self.at is None else max(0.0, self.at - self.clock())

    @property
    def expired(self) -> bool:
        return self.at is not None and self.clock() >= self.at

    def allows(self, wait: float) -> bool:
        """Whether waiting ``wait`` seconds still leaves time for another attempt."""
        remaining = self.remaining()
        return remaining is None or wait < remaining

    def clip(self, timeouts: dict[str, Any]) -> dict[str, Any]:
        """httpx's per-phase timeouts (``Timeout.as_dict()``), each cut to the time left (a hair above 0).

        A phase within ``SLACK`` of the time left is kept as configured: the first attempt goes out with the
        timeouts the caller gave, not with values a few microseconds shorter.
        """
        remaining = self.remaining()
        if remaining is None:
            return dict(timeouts)
        left = max(remaining, 0.001)
        return {phase: left if value is None or value > left + SLACK else value for phase, value in timeouts.items()}
