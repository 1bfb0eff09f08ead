"""Which resources a snapshot reads, and how each one's entities are told apart: from the registry, not a list.

A resource is read when its registry record is a ``GET`` of an entity set, a singleton, or a navigation
collection of a singleton (``/Users``, ``/MailSettings``, ``/MyUser/Greetings``): a path without ``(``, no
parameter to fill in but OData options, answering a collection or one object, never a file. Functions
(``/Pbx.GetUpdates()``, ``/SystemStatus/Pbx.APIToken()``) are left out, including those without parameters: on
3CX a GET function computes an answer (status, telemetry, the first free number) or makes something (a new API
key, a provisioning link, a trunk template), which is neither configuration nor free of side effects.

Entities are matched by a key, chosen per resource:

1. the key the registry declares for the entity set: the ``key`` parameter of an operation on
   ``<path>({Key})`` (``/Sbcs({Name})`` -> ``Name``, ``/Fxs({MacAddress})`` -> ``MacAddress``);
2. else ``Id``, when the item schema has it;
3. else the first of ``Number``, ``Name``, ``FileName``, ``Filename`` that the item schema has;
4. else none: the whole object is its identity (an edited entity then shows as one removed and one added).

A key is only used when every entity read has one and no two share it; otherwise the snapshot falls back to
whole-object identity for that resource and says so in its manifest (``"key": null``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import _registry as registry
from .._bodies import load_schemas
from ._errors import SnapshotError

__all__ = ["FALLBACK_KEYS", "Resource", "resources"]

FALLBACK_KEYS = ("Number", "Name", "FileName", "Filename")
_KEY_SEGMENT = re.compile(r"^\(\{([^{}=,]+)\}\)")  # ({Id}): one key, by position


@dataclass(frozen=True)
class Resource:
    """One resource a snapshot reads: an entity set, a singleton, or a singleton's navigation collection."""

    name: str  # the path without its leading slash: "Users", "MyUser/Greetings"
    path: str
    operation_id: str
    sdk_resource: str  # the attribute on XAPI: pbx.<sdk_resource>
    method: str  # the SDK method: pbx.<sdk_resource>.<method>()
    collection: bool
    schema: str | None  # the item schema of a collection, the object's schema of a singleton
    key: str | None  # see the module docstring; None for singletons and keyless collections
    key_declared: bool  # the key is the entity set's own (registry, or Id): safe to $orderby
    odata_options: frozenset[str]

    @property
    def file_name(self) -> str:
        """``Users.json``, ``MyUser.Greetings.json``: one file per resource, named after its path."""
        return self.name.replace("/", ".") + ".json"

    @property
    def kind(self) -> str:
        return "collection" if self.collection else "singleton"


def _readable(record: Mapping[str, Any]) -> bool:
    if record["method"] != "GET" or "(" in record["path"]:
        return False
    if any(p.get("required") and p.get("kind") != "odata-option" for p in record["parameters"]):
        return False
    response = record["response"]
    if response.get("file"):
        return False
    return bool(response.get("collection_item") or response.get("model"))


def _declared_keys(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Collection path -> the key parameter of its ``<path>({Key})`` operations."""
    keys: dict[str, str] = {}
    for record in records:
        path = str(record["path"])
        head, paren, rest = path.partition("(")
        match = _KEY_SEGMENT.match(paren + rest) if paren else None
        if match is None:
            continue
        name = match.group(1)
        if any(p.get("name") == name and p.get("kind") == "key" for p in record["parameters"]):
            keys.setdefault(head, name)
    return keys


def _key(path: str, properties: Mapping[str, Any], declared: Mapping[str, str]) -> tuple[str | None, bool]:
    key = declared.get(path)
    if key is not None and key in properties:
        return key, True
    if "Id" in properties:
        return "Id", True
    for name in FALLBACK_KEYS:
        if name in properties:
            return name, False
    return None, False


def _resource(record: Mapping[str, Any], schemas: Mapping[str, Any], declared: Mapping[str, str]) -> Resource:
    response = record["response"]
    collection = bool(response.get("collection_item"))
    schema = response.get("collection_item") if collection else response.get("model")
    properties = (schemas.get(str(schema)) or {}).get("properties") or {}
    key, key_declared = _key(record["path"], properties, declared) if collection else (None, False)
    return Resource(
        name=str(record["path"]).lstrip("/"),
        path=str(record["path"]),
        operation_id=str(record["operation_id"]),
        sdk_resource=str(record["module"]).split(".")[2],
        method=str(record["function"]),
        collection=collection,
        schema=str(schema) if schema else None,
        key=key,
        key_declared=key_declared,
        odata_options=frozenset(record.get("odata_options") or ()),
    )


@cache
def _all() -> tuple[Resource, ...]:
    records = registry.operations()
    declared = _declared_keys(records)
    schemas = load_schemas()
    found = [_resource(record, schemas, declared) for record in records if _readable(record)]
    return tuple(sorted(found, key=lambda r: r.name))


def resources(exclude: Sequence[str] = ()) -> tuple[Resource, ...]:
    """Every resource a snapshot reads, sorted by name; ``exclude`` names some to leave out (checked)."""
    everything = _all()
    unknown = sorted(set(exclude) - {r.name for r in everything})
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise SnapshotError(f"no resource named {names} (resources are named by path: Users, MyUser/Greetings)")
    return tuple(r for r in everything if r.name not in set(exclude))
