"""The one reader of ``Retry-After``, used by the retry loop and by ``RateLimitError.retry_after``."""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Callable
from datetime import timezone

__all__ = ["MAX_RETRY_AFTER", "parse_retry_after"]

MAX_RETRY_AFTER = 86_400.0
"""The longest wait a ``Retry-After`` can ask for (a day); longer values, and absurd ones, are cut to it."""

_DELTA_SECONDS = re.compile(r"\s*(\d{1,12}(?:\.\d{0,12})?|\.\d{1,12})\s*")
_TOO_MANY_DIGITS = re.compile(r"\s*\d{13,}(?:\.\d*)?\s*")


def parse_retry_after(
    value: str | None, *, now: Callable[[], float] = time.time, cap: float = MAX_RETRY_AFTER
) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP-date), at most ``cap``.

    None when absent or unreadable (a malformed header falls back to backoff). Never negative: a date in the
    past means "now". Never raises, never infinite.
    """
    if not value:
        return None
    match = _DELTA_SECONDS.fullmatch(value)
    if match:
        return min(float(match.group(1)), cap)
    if _TOO_MANY_DIGITS.fullmatch(value):
        return cap
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:  # "-0000": UTC, source unknown (RFC 5322); not local time
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now()
    except Exception:  # TypeError, ValueError, IndexError, OverflowError, by Python version and input
        return None
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), cap)
