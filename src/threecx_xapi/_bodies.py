"""Request bodies from plain dicts or generated models, converted and checked before anything is sent.

The generated models cast rather than check, and the PBX answers a wrong type with an opaque 400 after the
fact. So a body is walked against the document's schemas (``schemas.json``, shipped by the generator) and
every value is converted only where that is lossless: ``1234`` where a string is expected becomes
``"1234"``, ``5.0`` where an integer is expected becomes ``5``; ``5.5`` or ``True`` there is refused with a
:class:`BodyError` naming the field. Only the fields given are sent (a PATCH changes exactly those), and a
field this client does not know goes through ``extra_body``, unchecked.
"""

from __future__ import annotations

import difflib
import enum
import functools
import importlib.resources
import json
import math
import re
import types
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ._endpoint import BodyProperty, BodySpec
from ._exceptions import XAPIError
from ._registry import GENERATED_PACKAGE
from ._types import NotGiven

__all__ = ["BodyError", "body_spec", "coerce", "load_schemas", "request_body"]

_INT_RANGES: dict[str, tuple[int, int]] = {
    "int8": (-(2**7), 2**7 - 1),
    "sbyte": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
    "byte": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
_FLOAT32_MAX = 3.4028234663852886e38
_NON_FINITE_TOKENS = {"nan": "NaN", "inf": "INF", "-inf": "-INF"}  # OData's spelling, ReferenceNumeric's values
_SHOWN_NAMES = 10

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# As the document's patterns have them (OData's Edm types): seconds required, at most 12 fractional digits.
_TIME_TEXT = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,12})?")
_DATETIME_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,12})?"
    r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"
)
# OData's Edm.Duration (what .NET's TimeSpan reads): days, hours, minutes, seconds; no years or months.
_DURATION_TEXT = re.compile(
    r"-?P(?=[0-9]|T[0-9])(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
)


class BodyError(XAPIError, ValueError):
    """A request body value that cannot be sent as the schema says; raised before the request is made.

    ``path`` names the field (``peersRequest.DnNumbers[1]``), ``problem`` says what is wrong with it.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem

    def __reduce__(self) -> tuple[type[BodyError], tuple[str, str]]:
        return type(self), (self.path, self.problem)


@functools.cache
def load_schemas() -> Mapping[str, Any]:
    """The component schemas of ``threecx_xapi_client`` (its ``schemas.json``), read once, read-only."""
    text = importlib.resources.files(GENERATED_PACKAGE).joinpath("schemas.json").read_text("utf-8")
    schemas: dict[str, Any] = json.loads(text)
    return types.MappingProxyType(schemas)


def request_body(spec: BodySpec | None, body: object, *, extra_body: Mapping[str, object] | None = None) -> Any:
    """The JSON body to send for an operation whose body is ``spec``, or None to send none.

    ``body`` is what the endpoint module's ``build`` received: the entity (a model or a mapping) for an entity
    body, a mapping of wire name to argument (``NOT_GIVEN`` where not given) for action parameters. Only the
    fields given are sent (a PATCH changes exactly those); ``extra_body`` is added unchecked, for fields a
    newer PBX knows and this client does not, and may not repeat a field that was given.
    """
    if spec is None:
        if extra_body:
            raise BodyError("extra_body", "this operation takes no request body")
        return None
    if spec.kind == "parameters":
        given = {k: v for k, v in (body if isinstance(body, Mapping) else {}).items() if not isinstance(v, NotGiven)}
        if not given and not extra_body and not spec.required:
            return None
        return _parameters(spec, given, extra_body=extra_body)
    if isinstance(body, NotGiven) or body is None:
        if spec.required and not extra_body:
            raise BodyError("body", f"this operation needs a body ({spec.model or 'a JSON object'})")
        wire: dict[str, Any] = {}
    else:
        checked = coerce(body, spec.schema, path=spec.model or "body")
        if not isinstance(checked, dict):
            raise BodyError(spec.model or "body", "the body must be a JSON object")
        wire = checked
    for key, value in (extra_body or {}).items():
        if key in wire:
            raise BodyError(f"extra_body[{key!r}]", f"{key!r} is already in the body; pass it once")
        wire[key] = _json_value(value, f"extra_body[{key!r}]")
    return wire


def body_spec(record: Mapping[str, Any]) -> BodySpec:
    """The :class:`BodySpec` of a registry ``body`` record (what an endpoint module's ``BODY`` holds)."""
    properties = tuple(
        BodyProperty(p["name"], p["python_name"], p["schema"])
        for p in record.get("properties") or ()
        if p.get("python_name")
    )
    required, model = bool(record.get("required")), record.get("model")
    if record.get("kind") == "entity":
        return BodySpec("entity", required, record.get("declared_schema") or {}, model)
    return BodySpec("parameters", required, record.get("schema") or {}, model, properties=properties)


def _parameters(
    spec: BodySpec, arguments: Mapping[str, object], *, extra_body: Mapping[str, object] | None
) -> dict[str, Any]:
    """An action's parameters by wire name, each checked against its schema, then ``extra_body``."""
    schemas = load_schemas()
    properties = {p.name: p.schema for p in spec.properties}
    declared = {p.name: p.python_name for p in spec.properties}
    result = _fields(arguments, properties, path="", schemas=schemas, declared=declared)
    for key, value in (extra_body or {}).items():
        if not isinstance(key, str):
            raise BodyError("extra_body", f"keys must be strings, got {_describe(key)}")
        wire = _wire_name(key, properties, declared)
        if key in result or (wire is not None and wire in result):
            raise BodyError(f"extra_body[{key!r}]", f"{wire or key!r} is also given as an argument; pass it once")
        result[key] = _json_value(value, f"extra_body[{key!r}]")
    return result


def coerce(value: object, descriptor: Mapping[str, Any], *, path: str, schemas: Mapping[str, Any] | None = None) -> Any:
    """``value`` as the JSON value ``descriptor`` asks for, converted only where that loses nothing.

    Returns a dict, list, str, int, float, bool or None; raises :class:`BodyError` naming ``path``.
    """
    return _coerce(value, descriptor, path, load_schemas() if schemas is None else schemas)


# -- the walk ----------------------------------------------------------------------------------------------


def _coerce(value: object, descriptor: Mapping[str, Any], path: str, schemas: Mapping[str, Any]) -> Any:
    if value is None:
        if descriptor.get("nullable"):
            return None
        raise BodyError(path, "null is not allowed")
    if "one_of" in descriptor:
        return _one_of(value, descriptor["one_of"], path, schemas)
    if "ref" in descriptor:
        name = descriptor["ref"]
        target = schemas.get(name)
        if target is None:
            raise BodyError(path, f"schema {name!r} is not known to this client")
        if "properties" in target:
            return _object(value, target["properties"], path, schemas, target.get("python_names") or {})
        return _primitive(value, target, path)
    kind = descriptor.get("type")
    if kind == "array":
        return _array(value, descriptor.get("items") or {}, path, schemas)
    if kind == "object" or "properties" in descriptor:
        return _object(value, descriptor.get("properties") or {}, path, schemas)
    if kind is None:
        return _json_value(value, path)
    return _primitive(value, descriptor, path)


def _one_of(value: object, options: list[Mapping[str, Any]], path: str, schemas: Mapping[str, Any]) -> Any:
    token = _non_finite_token(value)
    if token is not None:
        # NaN and infinities have no JSON number; OData spells them as strings, where the schema lists them.
        if any(token in _enum_values(option, schemas) for option in options):
            return token
        raise BodyError(path, f"{token} is not allowed here")
    problems = []
    for option in options:
        try:
            return _coerce(value, option, path, schemas)
        except BodyError as exc:
            problems.append(exc.problem)
    raise BodyError(path, "matches none of the allowed types: " + "; ".join(problems))


def _array(value: object, items: Mapping[str, Any], path: str, schemas: Mapping[str, Any]) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise BodyError(path, f"expected a list, got {_describe(value)}")
    return [_coerce(item, items, f"{path}[{index}]", schemas) for index, item in enumerate(value)]


def _object(
    value: object,
    properties: Mapping[str, Any],
    path: str,
    schemas: Mapping[str, Any],
    python_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise BodyError(path, f"not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise BodyError(path, f"not valid JSON for an object: the text holds {_json_kind(value)}")
    else:
        value = _model_dict(value)  # a generated model: its wire-named dict, checked like any other
    if not isinstance(value, Mapping):
        raise BodyError(path, f"expected an object, got {_describe(value)}")
    return _fields(value, properties, path=path, schemas=schemas, declared=python_names or {})


def _fields(
    given: Mapping[Any, object],
    properties: Mapping[str, Any],
    *,
    path: str,
    schemas: Mapping[str, Any],
    declared: Mapping[str, str],
) -> dict[str, Any]:
    """Each given field by its wire name, coerced; unknown and doubly given names refused."""
    out: dict[str, Any] = {}
    for key, item in given.items():
        if not isinstance(key, str):
            raise BodyError(path, f"field names must be strings, got {_describe(key)}")
        wire = _wire_name(key, properties, declared)
        field_path = f"{path}.{wire or key}" if path else wire or key
        if wire is None:
            raise BodyError(field_path, _unknown(key, properties, path, declared))
        if wire in out:
            raise BodyError(field_path, "given twice (by wire name and by Python name)")
        out[wire] = _coerce(item, properties[wire], field_path, schemas)
    return out


def _properties_of(descriptor: Mapping[str, Any], schemas: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if "ref" in descriptor:
        descriptor = schemas.get(descriptor["ref"]) or {}
    if descriptor.get("type") == "object" or "properties" in descriptor:
        properties: Mapping[str, Any] = descriptor.get("properties") or {}
        return properties
    return None


# -- names -------------------------------------------------------------------------------------------------


def _wire_name(key: str, properties: Mapping[str, Any], declared: Mapping[str, str]) -> str | None:
    if key in properties:
        return key
    return _python_names(tuple(properties), tuple(declared.items())).get(key)


@functools.cache
def _python_names(wire_names: tuple[str, ...], declared: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Python name -> wire name, from the names the generator declared; a shared Python name is left out."""
    names = dict(declared)
    found: dict[str, str] = {}
    clashes: set[str] = set()
    for wire in wire_names:
        python = names.get(wire, wire)
        if python in found or python in wire_names:
            clashes.add(python)
        found[python] = wire
    return {python: wire for python, wire in found.items() if python not in clashes and python != wire}


def _unknown(key: str, properties: Mapping[str, Any], path: str, declared: Mapping[str, str]) -> str:
    names = list(properties)
    shown = ", ".join(names[:_SHOWN_NAMES]) + (
        f", ... ({len(names) - _SHOWN_NAMES} more)" if len(names) > _SHOWN_NAMES else ""
    )
    close = difflib.get_close_matches(key, names + [declared.get(n, n) for n in names], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    known = f"known fields: {shown}" if names else "no fields are known here"
    if path:
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        escape = f"to send a field this client does not know, pass {top!r} whole in extra_body"
    else:
        escape = "to send a field this client does not know, pass it in extra_body"
    return f"unknown field{hint} ({known}); {escape}"


# -- primitives --------------------------------------------------------------------------------------------


def _primitive(value: object, descriptor: Mapping[str, Any], path: str) -> Any:
    kind = descriptor.get("type")
    fmt = descriptor.get("format")
    if isinstance(value, enum.Enum):
        value = value.value
    if "enum" in descriptor and kind in (None, "string"):
        # Values this client has never seen are sent: 3CX adds enum values in upgrades.
        if isinstance(value, str):
            return str.__str__(value)
        raise BodyError(path, f"expected a string (one of {_values(descriptor['enum'])}), got {_describe(value)}")
    if kind == "string":
        return _string(value, fmt, path)
    if kind == "integer":
        return _integer(value, fmt, path)
    if kind == "number":
        return _number(value, fmt, path)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise BodyError(path, f"expected a boolean, got {_describe(value)}")
    return _json_value(value, path)


def _string(value: object, fmt: str | None, path: str) -> str:
    if fmt == "date-time":
        return _date_time(value, path)
    if fmt == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str) and _valid_date_text(value):
            return str.__str__(value)
        raise BodyError(path, f"expected a date (datetime.date or 'YYYY-MM-DD'), got {_describe(value)}")
    if fmt == "time":
        return _time(value, path)
    if fmt == "uuid":
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str):
            try:
                return str(uuid.UUID(value))
            except ValueError:
                pass
        raise BodyError(path, f"expected a UUID (uuid.UUID or its text), got {_describe(value)}")
    if fmt == "duration":
        if isinstance(value, timedelta):
            return _iso_duration(value)
        if isinstance(value, str) and _DURATION_TEXT.fullmatch(value):
            return str.__str__(value)
        expected = "expected a duration (datetime.timedelta or ISO 8601 text like 'PT30S')"
        raise BodyError(path, f"{expected}, got {_describe(value)}")
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))  # numbers like DNs are strings in the schema; the digits are the same
    raise BodyError(path, f"expected string, got {_describe(value)}")


def _date_time(value: object, path: str) -> str:
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is None:
            raise BodyError(path, f"naive datetime {value.isoformat()} has no time zone; give tzinfo (e.g. UTC)")
        if offset.microseconds or offset.seconds % 60:
            raise BodyError(path, f"time zone offset {offset} is not a whole number of minutes")
        text = value.isoformat()
        return text[:-6] + "Z" if not offset else text
    if isinstance(value, str):
        match = _DATETIME_TEXT.fullmatch(value)
        if (
            match
            and _valid_date_parts(match[1], match[2], match[3])
            and _valid_time_parts(match[4], match[5], match[6])
            and (match[7] is None or (int(match[7]) < 24 and int(match[8]) < 60))
        ):
            return str.__str__(value)
    raise BodyError(
        path, f"expected a date-time with a time zone (aware datetime or ISO 8601 text), got {_describe(value)}"
    )


def _time(value: object, path: str) -> str:
    if isinstance(value, time):
        if value.utcoffset() is not None:
            raise BodyError(path, f"a time of day carries no time zone, got {value.isoformat()}")
        return value.isoformat()
    if isinstance(value, str):
        match = _TIME_TEXT.fullmatch(value)
        if match and _valid_time_parts(*match.group(1, 2, 3)):
            return str.__str__(value)
    raise BodyError(path, f"expected a time of day (datetime.time or 'HH:MM:SS[.fff]'), got {_describe(value)}")


def _integer(value: object, fmt: str | None, path: str) -> int:
    number: int | None = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        number = int(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise BodyError(path, f"expected integer, got {_describe(value)} (not a whole number)")
        number = int(value)
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise BodyError(path, f"expected integer, got {_describe(value)} (not a whole number)")
        number = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        number = int(value)
    if number is None:
        raise BodyError(path, f"expected integer, got {_describe(value)}")
    low, high = _INT_RANGES.get(fmt or "", (None, None))
    if low is not None and high is not None and not low <= number <= high:
        raise BodyError(path, f"{number} is out of range for {fmt} ({low} to {high})")
    return number


def _number(value: object, fmt: str | None, path: str) -> int | float:
    number: int | float
    if isinstance(value, bool):
        raise BodyError(path, f"expected number, got {_describe(value)}")
    if isinstance(value, int):
        number = int(value)  # exact on the wire; the server rounds it as it would the same digits in JSON
    elif isinstance(value, float):
        number = float(value)
    elif isinstance(value, Decimal) or (isinstance(value, str) and _NUMBER_TEXT.fullmatch(value)):
        exact = Decimal(value)
        if not exact.is_finite():
            raise BodyError(path, f"{_describe(value)} is not a finite number")
        if isinstance(value, Decimal) and exact == exact.to_integral_value():
            number = int(exact)
        else:
            number = float(exact)
            if math.isfinite(number) and Decimal(repr(number)) != exact:
                raise BodyError(path, f"{_describe(value)} cannot be sent as a {fmt or 'number'} without losing digits")
    else:
        raise BodyError(path, f"expected number, got {_describe(value)}")
    if isinstance(number, float) and not math.isfinite(number):
        raise BodyError(path, f"{_describe(value)} is not a finite number")
    if fmt == "float" and abs(number) > _FLOAT32_MAX:
        raise BodyError(path, f"{_describe(value)} is out of range for float")
    return number


# -- helpers -----------------------------------------------------------------------------------------------


def _json_value(value: object, path: str) -> Any:
    """Any JSON value, unchecked against a schema (``extra_body``, properties the document leaves untyped)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return _json_value(value.value, path)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BodyError(path, f"{value} has no JSON form")
        return float(value)
    value = _model_dict(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise BodyError(path, f"object keys must be strings, got {_describe(key)}")
            out[key] = _json_value(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_json_value(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise BodyError(path, f"expected a JSON value, got {_describe(value)}")


def _model_dict(value: object) -> object:
    """A generated model's ``to_dict()`` (wire names, UNSET fields left out); anything else as it is."""
    to_dict = getattr(value, "to_dict", None)
    if isinstance(value, (Mapping, type)) or not callable(to_dict):
        return value
    return to_dict()


def _non_finite_token(value: object) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return _NON_FINITE_TOKENS[repr(value)]
    if isinstance(value, Decimal) and not value.is_finite() and not value.is_snan():
        return "NaN" if value.is_nan() else ("-INF" if value < 0 else "INF")
    return None


def _enum_values(descriptor: Mapping[str, Any], schemas: Mapping[str, Any]) -> list[Any]:
    if "ref" in descriptor:
        descriptor = schemas.get(descriptor["ref"]) or {}
    values: list[Any] = descriptor.get("enum") or []
    return values


def _iso_duration(value: timedelta) -> str:
    """``PT90S``, ``P2DT30.5S``, ``-PT1S``: days and seconds, exact to the microsecond."""
    micro = value // timedelta(microseconds=1)
    sign = "-" if micro < 0 else ""
    days, rest = divmod(abs(micro), 86_400_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    text = f"{sign}P{days}D" if days else f"{sign}P"
    if rest or not days:
        text += f"T{seconds}" + (f".{fraction:06d}".rstrip("0") if fraction else "") + "S"
    return text


def _valid_date_text(text: str) -> bool:
    match = _DATE_TEXT.fullmatch(text)
    return match is not None and _valid_date_parts(match[1], match[2], match[3])


def _valid_date_parts(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _valid_time_parts(hour: str, minute: str, second: str) -> bool:
    return int(hour) < 24 and int(minute) < 60 and int(second) < 60


def _values(values: list[Any]) -> str:
    shown = ", ".join(repr(v) for v in values[:_SHOWN_NAMES])
    return shown + (", ..." if len(values) > _SHOWN_NAMES else "")


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _describe(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = "<unprintable>"
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"
