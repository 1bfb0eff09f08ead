"""OData v4 literals, URL segments and query options, written the way 3CX's XAPI reads them.

Every generated endpoint module builds its URL through these functions, so the quoting rules live in one place:
strings are single-quoted with ``'`` doubled, date-times are ISO 8601 with ``T``, seconds and a zone,
booleans are ``true``/``false``, ``null`` is sent only where the document allows it, and every value is
percent-encoded so that nothing it contains can leave its path segment or its query option.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

from ._types import NotGiven

if TYPE_CHECKING:
    from uuid import UUID

__all__ = [
    "bool_segment",
    "date_literal",
    "datetime_literal",
    "datetime_segment",
    "int_segment",
    "literal",
    "parse_datetime",
    "query_string",
    "search_phrase",
    "string_literal",
    "string_segment",
    "uuid_segment",
]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

# Characters left readable in a path segment. Everything else, including "/", "?", "#", "%", ",", "(",
# ")" and spaces, is percent-encoded. "'" stays readable: inside a literal it is always doubled, and the
# server decodes percent-escapes before it reads the literal either way.
_SEGMENT_SAFE = "':"
_DATETIME_SAFE = ":"
# In a query option value "&", "=", "#", "+" and "%" must be encoded; the OData punctuation stays readable.
_QUERY_SAFE = "'(),/:$@"


# --- literals (not yet percent-encoded) -----------------------------------------------------------------


def string_literal(value: str) -> str:
    """``O'Brien`` -> ``'O''Brien'``; the empty string is ``''``."""
    return "'" + value.replace("'", "''") + "'"


def datetime_literal(value: _dt.datetime) -> str:
    """An aware datetime as OData wants it: ``2024-12-01T00:00:00Z`` or with an offset.

    A naive datetime is refused: the PBX would read it in a zone nobody chose.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()!r}: give it a time zone, e.g. datetime(..., tzinfo=timezone.utc)"
        )
    offset = value.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        # OData (and the document's pattern) only know whole-minute offsets: send the same instant in UTC.
        value = value.astimezone(_dt.timezone.utc)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def date_literal(value: _dt.date) -> str:
    """``2025-03-01``: the form ``date(...)`` comparisons take."""
    return value.isoformat()


def literal(value: object) -> str:
    """Any Python value as an OData literal (for ``$filter`` expressions and function parameters)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return literal(value.value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(value)
    decimal = sys.modules.get("decimal")  # a Decimal can only exist once its module is imported
    if decimal is not None and isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} has no OData literal")
        return format(value, "f")
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, _dt.datetime):
        return datetime_literal(value)
    if isinstance(value, _dt.date):
        return date_literal(value)
    uuid = sys.modules.get("uuid")
    if uuid is not None and isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no OData literal: {value!r}")


_ISO_DATETIME = re.compile(
    r"(?P<main>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<fraction>\d+))?(?P<zone>Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(text: str) -> _dt.datetime:
    """Read a date-time as 3CX writes it (``Z``, offsets, up to 7 fractional digits from .NET).

    ``datetime.fromisoformat`` does all of this from Python 3.11 on; 3.10 needs the fallback.
    """
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        match = _ISO_DATETIME.match(text)
        if match is None:
            raise
    fraction = (match.group("fraction") or "")[:6].ljust(6, "0") if match.group("fraction") else ""
    zone = match.group("zone") or ""
    zone = "+00:00" if zone in ("Z", "z") else zone
    return _dt.datetime.fromisoformat(match.group("main") + (f".{fraction}" if fraction else "") + zone)


# --- path segments: a literal, checked against the parameter's type, then percent-encoded ----------------


def string_segment(value: str | None, name: str, *, nullable: bool = False) -> str:
    """A string key or function parameter: ``'a b'`` -> ``'a%20b'``; ``None`` -> ``null`` only if nullable."""
    if value is None:
        if nullable:
            return "null"
        raise ValueError(f"{name}: None is not allowed here; pass a string ('' for an empty one)")
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected str, got {type(value).__name__}")
    return quote(string_literal(value), safe=_SEGMENT_SAFE)


def int_segment(value: int | None, name: str, *, nullable: bool = False) -> str:
    """An int32 key or parameter, bare: ``29``."""
    if value is None:
        if nullable:
            return "null"
        raise ValueError(f"{name}: None is not allowed here; pass an int")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected int, got {type(value).__name__}")
    if not INT32_MIN <= value <= INT32_MAX:
        raise ValueError(f"{name}: {value} is outside the int32 range")
    return str(value)


def bool_segment(value: bool | None, name: str, *, nullable: bool = False) -> str:
    """``true`` / ``false``, never Python's ``True``."""
    if value is None:
        if nullable:
            return "null"
        raise ValueError(f"{name}: None is not allowed here; pass True or False")
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected bool, got {type(value).__name__}")
    return "true" if value else "false"


def datetime_segment(value: _dt.datetime | None, name: str, *, nullable: bool = False) -> str:
    """An aware datetime, unquoted: ``2024-12-01T00:00:00Z``; ``+`` in an offset is encoded."""
    if value is None:
        if nullable:
            return "null"
        raise ValueError(f"{name}: None is not allowed here; pass an aware datetime")
    if not isinstance(value, _dt.datetime):
        raise TypeError(f"{name}: expected datetime, got {type(value).__name__}")
    try:
        text = datetime_literal(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return quote(text, safe=_DATETIME_SAFE)


def uuid_segment(value: UUID | str | None, name: str, *, nullable: bool = False) -> str:
    """A Guid key, bare as OData v4 wants it; a string must parse as a UUID."""
    import uuid

    if value is None:
        if nullable:
            return "null"
        raise ValueError(f"{name}: None is not allowed here; pass a UUID")
    if isinstance(value, str):
        try:
            value = uuid.UUID(value)
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a UUID") from None
    if not isinstance(value, uuid.UUID):
        raise TypeError(f"{name}: expected UUID, got {type(value).__name__}")
    return str(value)


# --- query options ---------------------------------------------------------------------------------------


def search_phrase(value: str) -> str:
    """``front desk`` -> ``"front desk"``: a phrase with spaces is quoted unless it is quoted already."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value
    if any(ch.isspace() for ch in value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _non_negative_int(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value}")
    return str(value)


def _comma_list(name: str, value: object) -> str:
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise ValueError(f"{name} must be a string or a list of strings, got {type(value).__name__}")
    if not items:
        raise ValueError(f"{name}: empty list; leave the option out instead")
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{name}: every item must be a non-empty string, got {item!r}")
    return ",".join(items)


def _option_value(name: str, value: object) -> str:
    if name in ("$top", "$skip"):
        return _non_negative_int(name, value)
    if name == "$count":
        if not isinstance(value, bool):
            raise ValueError(f"$count must be True or False, got {value!r}")
        return "true" if value else "false"
    if name == "$search":
        if not isinstance(value, str):
            raise ValueError(f"$search must be a string, got {type(value).__name__}")
        return search_phrase(value)
    if name in ("$select", "$orderby", "$expand"):
        return _comma_list(name, value)
    if name == "$filter":
        text = str(value)
        if not text.strip():
            raise ValueError("$filter: empty expression")
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return _comma_list(name, value)
    return str(value)


def query_string(*options: tuple[str, object]) -> str:
    """``?$top=50&$select=Id,Number`` from ``(name, value)`` pairs; ``None`` and ``NOT_GIVEN`` values are left out.

    Each option is sent once; lists are comma-joined (the document's ``explode: false``).
    """
    parts: list[str] = []
    for name, value in options:
        if value is None or isinstance(value, NotGiven):
            continue
        parts.append(quote(name, safe="$") + "=" + quote(_option_value(name, value), safe=_QUERY_SAFE))
    return "?" + "&".join(parts) if parts else ""
