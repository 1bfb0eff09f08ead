"""Reading an XAPI request URL the way ASP.NET OData does: resource path segments, literals, query options.

A hand-written scanner rather than regular expressions over the whole path, because the rules that matter to a
client are lexical: a string literal is single-quoted with ``'`` doubled and may contain ``,``, ``)`` or ``/``;
anything unquoted runs to the next ``,`` or ``)``. The path is percent-decoded first (a PBX accepts ``:`` and
``$`` either way), then split into segments outside quotes, then each segment into a name and its arguments.
Only the *form* of each literal is decided here; whether it fits the parameter it is bound to is the router's
business (``_routes.py``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote, unquote_plus

__all__ = [
    "Arguments",
    "ODataLiteral",
    "PathSyntaxError",
    "QueryOptionError",
    "Segment",
    "classify",
    "parse_datetime",
    "parse_path",
    "parse_query_string",
    "split_outside_quotes",
]

SYSTEM_QUERY_OPTIONS = ("$top", "$skip", "$count", "$select", "$orderby", "$expand", "$filter", "$search")

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# The shape OData's DateTimeOffset literal has; whether the numbers are a real instant is checked after.
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,12}))?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$")


class PathSyntaxError(ValueError):
    """The path is not OData resource-path syntax; the PBX answers such a URL with 404."""


class QueryOptionError(ValueError):
    """A query string the PBX refuses with 400 (a repeated or unknown system query option)."""


@dataclass(frozen=True)
class ODataLiteral:
    """One literal as written in a path: its lexical ``kind`` and its ``value``.

    Kinds: ``string`` (value unquoted, ``''`` undoubled), ``int``, ``decimal``, ``bool``, ``null``,
    ``datetime`` (aware ``datetime``), ``date``, ``uuid``, ``bad-datetime`` (looks like a date-time but is not a
    valid one; the value is the text) and ``word`` (anything else unquoted, e.g. a string someone forgot to quote).
    """

    kind: str
    value: object
    text: str


@dataclass(frozen=True)
class Arguments:
    """What is between a segment's parentheses: positional literals (a key) or named ones, in the order sent."""

    positional: tuple[ODataLiteral, ...] = ()
    named: tuple[tuple[str, ODataLiteral], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.positional and not self.named


@dataclass(frozen=True)
class Segment:
    """``Users``, ``Users(29)``, ``Users(Number='100')`` or ``Pbx.GetCallLogData(periodFrom=...,...)``.

    ``arguments`` is None when the segment has no parentheses at all (``/Users``), which OData tells apart
    from an empty call (``/Pbx.ExportExtensions()``).
    """

    name: str
    arguments: Arguments | None


def parse_path(raw_path: str) -> tuple[Segment, ...]:
    """The segments of a resource path below ``/xapi/v1`` (``/Users(1)/Groups``), percent-decoded first."""
    try:
        text = unquote(raw_path, errors="strict") if "%" in raw_path else raw_path
    except UnicodeDecodeError:
        raise PathSyntaxError("percent-escapes that are not UTF-8") from None
    if text.startswith("/"):
        text = text[1:]
    if text.endswith("/"):
        text = text[:-1]
    if not text:
        return ()
    return tuple(_segment(part) for part in _split_path(text))


def parse_query_string(raw_query: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(system options, other parameters)`` from a raw query string, each name once.

    System options (``$top`` ...) are keyed in lower case; a repeated one is refused (ASP.NET OData answers
    400 for a duplicated ``$select``), as is an unknown ``$`` option. Other parameters are custom query options
    OData ignores; the last one wins.
    """
    system: dict[str, str] = {}
    other: dict[str, str] = {}
    if not raw_query:
        return system, other
    for part in raw_query.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        name = unquote_plus(raw_name).strip()
        value = unquote_plus(raw_value)
        if name.startswith("$"):
            key = name.lower()
            if key not in SYSTEM_QUERY_OPTIONS:
                raise QueryOptionError(f"The query parameter '{name}' is not supported.")
            if key in system:
                raise QueryOptionError(
                    f"Query option '{name}' was specified more than once, but it must be specified at most once."
                )
            system[key] = value
        else:
            other[name] = value
    return system, other


def parse_datetime(text: str) -> datetime | None:
    """An OData DateTimeOffset literal (``2024-12-01T00:00:00Z``, ``...T23:00:00.000+01:00``) or None.

    Written out rather than ``datetime.fromisoformat`` so that Python 3.10 reads ``Z`` and 12 fractional digits.
    """
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute = (int(match[i]) for i in range(1, 6))
    second = int(match[6] or 0)
    micro = int((match[7] or "0").ljust(6, "0")[:6])
    zone = match[8]
    if zone == "Z":
        tz = timezone.utc
    else:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if zone[0] == "-" else offset)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


# -- scanning ---------------------------------------------------------------------------------------------


def split_outside_quotes(text: str, separator: str) -> tuple[list[str], bool, bool]:
    """``text`` split at ``separator`` outside quoted literals and parentheses.

    Also says whether the parentheses balanced and every quote was closed; callers decide what an
    unbalanced text means (a 404 for a path, a 400 for a query option).
    """
    parts: list[str] = []
    depth = 0
    balanced = True
    quoted = False
    start = 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted  # a doubled '' toggles twice: still inside
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            balanced = balanced and depth >= 0
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts, balanced and depth == 0, not quoted


def _split_path(text: str) -> list[str]:
    parts, _, closed = split_outside_quotes(text, "/")
    if not closed:
        raise PathSyntaxError("unterminated string literal")
    return parts


def _segment(text: str) -> Segment:
    open_at = text.find("(")
    name = text if open_at < 0 else text[:open_at]
    if not name or any(char not in _NAME_CHARS for char in name):
        raise PathSyntaxError(f"not a segment name: {name!r}")
    if open_at < 0:
        return Segment(name, None)
    if not text.endswith(")"):
        raise PathSyntaxError(f"text after the closing parenthesis in {text!r}")
    return Segment(name, _arguments(text[open_at + 1 : -1]))


def _arguments(text: str) -> Arguments:
    """Either one positional literal (a key) or ``name=literal`` pairs; never a mix."""
    if not text.strip():
        return Arguments()
    positional: list[ODataLiteral] = []
    named: list[tuple[str, ODataLiteral]] = []
    scanner = _Scanner(text)
    while True:
        scanner.skip_spaces()
        start = scanner.position
        name = scanner.name()
        scanner.skip_spaces()
        if name is not None and scanner.peek() == "=":
            scanner.advance()
            scanner.skip_spaces()
            named.append((name, scanner.literal()))
        else:
            scanner.position = start
            positional.append(scanner.literal())
        scanner.skip_spaces()
        if scanner.done():
            break
        if scanner.peek() != ",":
            raise PathSyntaxError(f"expected ',' at {scanner.rest()!r}")
        scanner.advance()
    if positional and named:
        raise PathSyntaxError("positional and named arguments mixed")
    if len(positional) > 1:
        raise PathSyntaxError("a key has one value (composite keys are not used by the XAPI)")
    return Arguments(tuple(positional), tuple(named))


class _Scanner:
    """A cursor over one argument list."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._at = 0

    def done(self) -> bool:
        return self._at >= len(self._text)

    def peek(self) -> str:
        return self._text[self._at] if self._at < len(self._text) else ""

    def advance(self) -> None:
        self._at += 1

    def rest(self) -> str:
        return self._text[self._at :]

    @property
    def position(self) -> int:
        return self._at

    @position.setter
    def position(self, value: int) -> None:
        self._at = value

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self._at += 1

    def name(self) -> str | None:
        """An identifier, if one starts here (it may turn out to be a bare literal such as ``true``)."""
        start = self._at
        while self._at < len(self._text) and (self._text[self._at].isalnum() or self._text[self._at] == "_"):
            self._at += 1
        if self._at == start or self._text[start].isdigit():
            self._at = start
            return None
        return self._text[start : self._at]

    def literal(self) -> ODataLiteral:
        if self.peek() == "'":
            return self._string()
        start = self._at
        while self._at < len(self._text) and self._text[self._at] not in ",":
            if self._text[self._at] in "'()":
                raise PathSyntaxError(f"unexpected {self._text[self._at]!r} in {self._text[start:]!r}")
            self._at += 1
        token = self._text[start : self._at].rstrip(" ")
        if not token:
            raise PathSyntaxError("missing value")
        return classify(token)

    def _string(self) -> ODataLiteral:
        start = self._at
        self._at += 1
        chars: list[str] = []
        while True:
            if self._at >= len(self._text):
                raise PathSyntaxError("unterminated string literal")
            char = self._text[self._at]
            self._at += 1
            if char == "'":
                if self.peek() == "'":
                    chars.append("'")
                    self._at += 1
                    continue
                break
            chars.append(char)
        return ODataLiteral("string", "".join(chars), self._text[start : self._at])


def classify(token: str) -> ODataLiteral:
    """The lexical kind of an unquoted token."""
    lowered = token.lower()
    if lowered == "null":
        return ODataLiteral("null", None, token)
    if lowered in ("true", "false"):
        return ODataLiteral("bool", lowered == "true", token)
    if _INTEGER.fullmatch(token):
        return ODataLiteral("int", int(token), token)
    if _DECIMAL.fullmatch(token):
        return ODataLiteral("decimal", float(token), token)
    if _UUID.fullmatch(token):
        return ODataLiteral("uuid", uuid.UUID(token), token)
    if token[:4].isdigit() and token[4:5] == "-":
        moment = parse_datetime(token)
        if moment is not None:
            return ODataLiteral("datetime", moment, token)
        day = _date(token)
        if day is not None:
            return ODataLiteral("date", day, token)
        return ODataLiteral("bad-datetime", token, token)
    return ODataLiteral("word", token, token)


def _date(token: str) -> date | None:
    match = _DATE.fullmatch(token)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
