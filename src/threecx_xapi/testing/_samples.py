"""Schema-valid, deterministic data for any schema of the document: the answers of operations with no state.

Every value is derived from the schema descriptor and the property name, with a random generator seeded from
the server's seed and a context string (the operation id, the entity set), so two servers with the same seed
answer the same bytes and one server answers the same thing twice. Strings look like what a PBX holds where
the name says what they are (``EmailAddress``, ``Number``, ``FirstName``); enums take their first value;
nested objects stop at a bounded depth; arrays hold one or two items.

A handful of response schemas are inline in the document and so missing from ``schemas.json`` (they all wrap a
``value``); for those the generated model class is read instead (:func:`model_descriptor`).
"""

from __future__ import annotations

import enum
import importlib
import random
import types
import typing
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["MAX_DEPTH", "SampleFactory", "model_descriptor", "parsed_type", "rng_for"]

MAX_DEPTH = 3
_EPOCH = datetime(2025, 1, 6, 8, 0, 0, tzinfo=timezone.utc)
_INT_LIMITS = {"int32": 2**31 - 1, "int64": 2**63 - 1, "uint8": 255, "decimal": 10**9}

FIRST_NAMES = (
    "Alice", "Bruno", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Keira", "Luca",
    "Maya", "Nikos", "Olivia", "Pavel", "Quinn", "Rosa", "Samir", "Tess", "Umar", "Vera", "Wim", "Xenia",
    "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Brennan", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ivanova", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "O'Brien", "Petrov", "Quist", "Rossi", "Schmidt", "Tanaka",
    "Urban", "Vogel", "Weber", "Young", "Zimmer",
)  # fmt: skip
COMPANIES = ("Acme Ltd", "Globex", "Initech", "Umbrella plc", "Stark & Co", "Wayne Enterprises", "Hooli", "Vandelay")


def rng_for(seed: int, context: str) -> random.Random:
    """A generator for one context; string seeding is stable across processes (unlike ``hash``)."""
    return random.Random(f"{seed}:{context}")


class SampleFactory:
    """Deterministic sample values for the descriptors of ``schemas.json``."""

    def __init__(self, schemas: Mapping[str, Any], seed: int) -> None:
        self.schemas = schemas
        self.seed = seed

    def object(self, schema: str, context: str, *, depth: int = 0) -> dict[str, Any]:
        """A sample of object schema ``schema``: every property, nested objects to :data:`MAX_DEPTH`."""
        return self._object(schema, rng_for(self.seed, f"{context}/{schema}"), depth)

    def items(self, schema: str, context: str, count: int) -> list[dict[str, Any]]:
        """``count`` samples of ``schema``, each with an ``Id`` of 1, 2, ... where the schema has one."""
        rng = rng_for(self.seed, f"{context}/{schema}[]")
        out = []
        for index in range(count):
            item = self._object(schema, rng, 0)
            if "Id" in item and isinstance(item["Id"], int) and not isinstance(item["Id"], bool):
                item["Id"] = index + 1
            out.append(item)
        return out

    def value(self, descriptor: Mapping[str, Any], name: str, context: str) -> Any:
        """A sample for one descriptor (``name`` is the property name, a hint for realistic strings)."""
        return self._value(descriptor, name, rng_for(self.seed, f"{context}:{name}"), 0)

    # -- the walk ------------------------------------------------------------------------------------------

    def _object(self, schema: str, rng: random.Random, depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = (self.schemas.get(schema) or {}).get("properties") or {}
        out: dict[str, Any] = {}
        for name, descriptor in properties.items():
            if name.startswith("@odata."):
                continue
            value = self._value(descriptor, name, rng, depth)
            if value is not _OMIT:
                out[name] = value
        return out

    def _value(self, descriptor: Mapping[str, Any], name: str, rng: random.Random, depth: int) -> Any:
        if "one_of" in descriptor:
            return self._value(descriptor["one_of"][0], name, rng, depth)
        if "ref" in descriptor:
            target = self.schemas.get(descriptor["ref"]) or {}
            if "enum" in target:
                return target["enum"][0]
            if depth >= MAX_DEPTH:
                return None if descriptor.get("nullable") else _OMIT
            return self._object(descriptor["ref"], rng, depth + 1)
        kind = descriptor.get("type")
        if kind == "array":
            items = descriptor.get("items") or {}
            enum = items.get("enum") or (self.schemas.get(items.get("ref") or "") or {}).get("enum")
            if enum:
                return [enum[0]]  # flags and tags: a value once
            if depth >= MAX_DEPTH and "ref" in items:
                return []
            values = [self._value(items, _singular(name), rng, depth) for _ in range(rng.randint(1, 2))]
            return [v for v in values if v is not _OMIT]
        if "enum" in descriptor:
            return descriptor["enum"][0]
        if kind == "string":
            return sample_string(name, descriptor.get("format"), rng)
        if kind == "integer":
            limit = _INT_LIMITS.get(descriptor.get("format") or "", 2**31 - 1)
            if name == "Id" or name.endswith("Id"):
                return rng.randint(1, min(500, limit))
            return rng.randint(1, min(limit, 120))
        if kind == "number":
            return rng.randint(1, 9999) / 100
        if kind == "boolean":
            return rng.random() < 0.5
        return {}  # untyped: any JSON; an empty object is as neutral as it gets


class _Omit:
    """Marks a property left out (a non-nullable object below the depth limit)."""


_OMIT: Any = _Omit()


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and len(name) > 3 else name


def sample_string(name: str, fmt: str | None, rng: random.Random) -> str:
    """A string that looks like what a PBX would hold in a property called ``name``."""
    if fmt == "date-time":
        moment = _EPOCH + timedelta(days=rng.randint(0, 60), seconds=rng.randint(0, 86_399))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "date":
        return (_EPOCH + timedelta(days=rng.randint(0, 60))).strftime("%Y-%m-%d")
    if fmt == "time":
        return f"{rng.randint(7, 18):02d}:{rng.choice((0, 15, 30, 45)):02d}:00"
    if fmt == "duration":
        return f"PT{rng.randint(0, 9)}M{rng.randint(1, 59)}S"
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    lowered = name.lower()
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if "email" in lowered:
        return f"{first}.{last}@example.com".lower().replace("'", "")
    if lowered in ("firstname", "first_name"):
        return first
    if lowered in ("lastname", "last_name"):
        return last
    if lowered in ("displayname", "name", "membername", "callername") or lowered.endswith("displayname"):
        return f"{first} {last}"
    if "company" in lowered:
        return rng.choice(COMPANIES)
    if lowered in ("number", "dn", "extension") or lowered.endswith(("number", "dn")):
        return str(rng.randint(100, 199))
    if any(word in lowered for word in ("phone", "mobile", "fax", "callerid", "business", "home")):
        return f"+4420{rng.randint(10_000_000, 99_999_999)}"
    if "mac" in lowered:
        return "00:15:65:" + ":".join(f"{rng.randint(0, 255):02x}" for _ in range(3))
    if lowered.endswith(("ip", "ipaddress", "address")) and "email" not in lowered:
        return f"192.0.2.{rng.randint(1, 254)}"
    if any(word in lowered for word in ("url", "link", "uri", "fqdn", "host")):
        return f"https://pbx.example.com/{name.lower()}/{rng.randint(1, 99)}"
    if "language" in lowered:
        return "EN"
    if "password" in lowered or "secret" in lowered or lowered.endswith("pin"):
        return f"pw{rng.getrandbits(40):010x}"
    if lowered.endswith(("file", "filename")):
        return f"{name.lower()}{rng.randint(1, 9)}.wav"
    return f"{name} {rng.randint(1, 99)}"


# -- inline response schemas, read from the generated model --------------------------------------------------


def model_descriptor(module_name: str, model: str) -> dict[str, Any]:
    """An object descriptor for a generated model whose schema is not in ``schemas.json`` (inline ``value``s).

    Read from the model's wire names and type hints: ``bool``, ``int``, ``str``, ``float`` and ``list[...]``
    of them; a field whose hint names another model is left out.
    """
    module = importlib.import_module(module_name)
    cls = getattr(module, model)
    wire_names: Mapping[str, str] = getattr(cls, "_wire_names", {})
    properties: dict[str, Any] = {}
    for wire, python_name in wire_names.items():
        try:
            hint = eval(cls.__annotations__[python_name], vars(module))  # our own generated annotations
        except (KeyError, NameError):
            continue
        descriptor = _hint_descriptor(hint)
        if descriptor is not None:
            properties[wire] = descriptor
    return {"type": "object", "properties": properties}


def _hint_descriptor(hint: Any) -> dict[str, Any] | None:
    args = [a for a in typing.get_args(hint) if a is not type(None) and getattr(a, "__name__", "") != "Unset"]
    nullable = type(None) in typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        if len(args) != 1:
            return None
        hint = args[0]
    if hint is bool:
        return {"type": "boolean", "nullable": nullable}
    if hint is int:
        return {"type": "integer", "format": "int64", "nullable": nullable}
    if hint is float:
        return {"type": "number", "nullable": nullable}
    if hint is str:
        return {"type": "string", "nullable": nullable}
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint) or (str,)
        inner = _hint_descriptor(item)
        return {"type": "array", "items": inner} if inner is not None else None
    return None


def parsed_type(module_name: str, schemas: Mapping[str, Any]) -> tuple[str, Any] | None:
    """What an operation's generated ``_parse_response`` builds, where the registry names no model.

    The registry loses the model of ``allOf``-wrapped nullable responses and of bare enum responses; the
    generated module still knows it. Returns ``("schema", name)`` for a model class, ``("enum", value)`` for an
    enum (its first value in the document's order), or None.
    """
    module = importlib.import_module(module_name)
    parse = getattr(module, "_parse_response", None)
    annotation = getattr(parse, "__annotations__", {}).get("return")
    if not isinstance(annotation, str):
        return None
    for name in (part.strip() for part in annotation.split("|")):
        if name in ("None", "File", "Any", ""):
            continue
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, enum.Enum):
            values = (schemas.get(name) or {}).get("enum")
            if values:
                return "enum", values[0]
            members = list(cls)
            return ("enum", members[0].value) if members else None
        if isinstance(cls, type):
            return "schema", name
    return None
