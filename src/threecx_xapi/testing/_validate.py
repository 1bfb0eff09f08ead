"""Request bodies checked the way the PBX's deserializer checks them: exact JSON types, known names only.

Stricter than the SDK's own check (``threecx_xapi._bodies``), which converts losslessly before sending: a
server receives JSON and has nothing to convert. So ``"5"`` for an integer, ``5`` for a string, ``null`` for a
non-nullable property, an enum value the document does not list, a malformed date-time and a property the
type does not have are all refused, each naming the field, with the PBX's error shape
(``<Field>:\\nWARNINGS.XAPI.INVALID_VALUE``). OData control information (``@odata.type`` ...) is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ._urls import parse_datetime

__all__ = ["INVALID_VALUE", "BodyInvalid", "validate"]

INVALID_VALUE = "WARNINGS.XAPI.INVALID_VALUE"
_INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DURATION = re.compile(
    r"-?P(?=[0-9]|T[0-9])(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
)
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,12})?")
_DATE = re.compile(r"[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])")


class BodyInvalid(ValueError):
    """A body value the PBX refuses with 400; ``target`` names the field (``Agents[1].Number``)."""

    def __init__(self, target: str, reason: str, code: str = INVALID_VALUE) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason
        self.code = code


def validate(value: Any, descriptor: Mapping[str, Any], schemas: Mapping[str, Any], path: str = "") -> None:
    """Raise :class:`BodyInvalid` unless ``value`` (decoded JSON) is exactly what ``descriptor`` allows."""
    if value is None:
        if descriptor.get("nullable"):
            return
        raise BodyInvalid(path or "body", "null is not allowed")
    if "one_of" in descriptor:
        for option in descriptor["one_of"]:
            try:
                validate(value, option, schemas, path)
                return
            except BodyInvalid:
                continue
        raise BodyInvalid(path or "body", "matches none of the allowed types")
    if "ref" in descriptor:
        target = schemas.get(descriptor["ref"])
        if target is None:
            return  # a schema this registry does not know: nothing to hold it against
        if "properties" in target:
            _object(value, target["properties"], schemas, path)
            return
        validate(value, {**target, "nullable": descriptor.get("nullable", False)}, schemas, path)
        return
    kind = descriptor.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise BodyInvalid(path or "body", "expected an array")
        items = descriptor.get("items") or {}
        for index, item in enumerate(value):
            validate(item, items, schemas, f"{path}[{index}]")
        return
    if kind == "object" or "properties" in descriptor:
        _object(value, descriptor.get("properties") or {}, schemas, path)
        return
    if kind is None and "enum" not in descriptor:
        return  # untyped: any JSON
    _primitive(value, descriptor, path or "body")


def _object(value: Any, properties: Mapping[str, Any], schemas: Mapping[str, Any], path: str) -> None:
    if not isinstance(value, dict):
        raise BodyInvalid(path or "body", "expected an object")
    for name, item in value.items():
        field = f"{path}.{name}" if path else name
        if "@" in name:  # OData control information (`@odata.type`, `Name@odata.type`): read, not validated
            continue
        if name not in properties:
            raise BodyInvalid(field, "no such property")
        validate(item, properties[name], schemas, field)


def _primitive(value: Any, descriptor: Mapping[str, Any], path: str) -> None:
    kind = descriptor.get("type")
    if "enum" in descriptor:
        if not isinstance(value, str) or value not in descriptor["enum"]:
            raise BodyInvalid(path, f"not one of {descriptor['enum']}")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise BodyInvalid(path, "expected true or false")
        return
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BodyInvalid(path, "expected an integer")
        low, high = _INT_RANGES.get(descriptor.get("format") or "", (None, None))
        if low is not None and high is not None and not low <= value <= high:
            raise BodyInvalid(path, "out of range")
        return
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BodyInvalid(path, "expected a number")
        return
    if kind == "string":
        if not isinstance(value, str):
            raise BodyInvalid(path, "expected a string")
        _string_format(value, descriptor.get("format"), path)


def _string_format(value: str, fmt: str | None, path: str) -> None:
    ok = True
    if fmt == "date-time":
        ok = parse_datetime(value) is not None and "T" in value and value.count(":") >= 2
    elif fmt == "uuid":
        ok = _UUID.fullmatch(value) is not None
    elif fmt == "duration":
        ok = _DURATION.fullmatch(value) is not None
    elif fmt == "time":
        ok = _TIME.fullmatch(value) is not None
    elif fmt == "date":
        ok = _DATE.fullmatch(value) is not None
    if not ok:
        raise BodyInvalid(path, f"not a valid {fmt}")
