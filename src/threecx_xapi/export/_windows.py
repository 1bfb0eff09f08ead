"""Time for exports: moments read in an explicit time zone, and a period split into windows.

A report over a year in one query is what makes a PBX answer 504 (or fall over); an export asks for one window
at a time (a day by default), each paged on its own. Windows are cut in the export's time zone (``--tz``): a day
window runs from local midnight to local midnight, so it is 23 or 25 hours long across a daylight-saving change.
Neighbouring windows share their boundary instant (the PBX's periods include both ends), so a row that starts
exactly on a boundary comes in both and the export's de-duplication drops the second.

Moments on the command line and in Python: an aware ``datetime``; ISO text with ``Z`` or an offset; ISO text
or a naive ``datetime`` without one (read in the time zone); a date (``2026-03-01``), ``today`` or
``yesterday`` (local midnight of that day, and for the end of a period, the midnight after it: ``--period-to
2026-03-31`` includes the 31st); ``now``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._errors import ExportError

__all__ = ["Window", "parse_moment", "parse_window", "split_period", "time_zone"]

Window = tuple[datetime, datetime]

_WINDOW = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_NO_SPLIT = ("none", "0", "off")


def time_zone(name: str) -> tzinfo:
    """The IANA zone ``name`` (``Europe/Vienna``, ``UTC``); :class:`ExportError` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExportError(f"unknown time zone {name!r}: use an IANA name such as Europe/Vienna or UTC") from None


def parse_window(spec: str | timedelta | None) -> timedelta | None:
    """``1d``, ``12h``, ``30m``, ``1w`` (or a ``timedelta``) as a window length; ``none`` (or None): do not split."""
    if spec is None:
        return None
    if isinstance(spec, timedelta):
        if spec <= timedelta(0):
            raise ExportError(f"bad window {spec}: it must be longer than zero")
        return spec
    if spec.strip().lower() in _NO_SPLIT:
        return None
    match = _WINDOW.match(spec.lower())
    if match is None or int(match.group(1)) == 0:
        raise ExportError(f"bad window {spec!r}: use a positive length such as 1d, 12h, 30m or 1w (or none)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def parse_moment(value: object, zone: tzinfo, *, end: bool = False, now: datetime | None = None) -> datetime:
    """``value`` as an aware datetime (see the module docstring); ``end`` makes a bare day mean its end."""
    current = now or datetime.now(timezone.utc)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None and value.utcoffset() is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return _midnight(value + timedelta(days=1) if end else value, zone)
    if not isinstance(value, str):
        raise ExportError(f"not a moment: {value!r} (give a datetime, a date or ISO text)")
    text = value.strip()
    lowered = text.lower()
    if lowered == "now":
        return current.astimezone(zone)
    if lowered in ("today", "yesterday"):
        day = current.astimezone(zone).date() - timedelta(days=1 if lowered == "yesterday" else 0)
        return parse_moment(day, zone, end=end)
    try:
        if len(text) == 10:
            return parse_moment(date.fromisoformat(text), zone, end=end)
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ExportError(
            f"not a moment: {value!r} (use 2026-03-01, 2026-03-01T08:00:00, 2026-03-01T08:00:00Z, today, "
            "yesterday or now)"
        ) from None
    return parse_moment(moment, zone)


def split_period(start: datetime, end: datetime, window: timedelta | None, zone: tzinfo) -> list[Window]:
    """``start``..``end`` cut into windows of ``window`` (in ``zone``'s wall clock for whole days), in UTC.

    :class:`ExportError` when the end is not after the start.
    """
    if end <= start:
        raise ExportError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    utc = timezone.utc
    if window is None:
        return [(start.astimezone(utc), end.astimezone(utc))]
    windows: list[Window] = []
    cursor = start
    whole_days = window % timedelta(days=1) == timedelta(0)
    while cursor < end:
        if whole_days:  # the same wall-clock time n days later, whatever the UTC offset does meanwhile
            local = cursor.astimezone(zone).replace(tzinfo=None) + window
            following = local.replace(tzinfo=zone)
        else:
            following = cursor + window
        following = min(following, end)
        windows.append((cursor.astimezone(utc), following.astimezone(utc)))
        cursor = following
    return windows
