"""Blanking secrets in JSON read from the PBX, by the schemas' ``secret_fields`` (the same fields models hide).

The walk follows the schema: an object's ``secret_fields`` are blanked (any value but null becomes ``"***"``),
and nested objects and arrays are walked through their references (``Trunk.AuthPassword`` is a
``ConcealedPassword`` whose ``Value`` is secret). Keys the schema does not know are left as they are.
Blanking is idempotent, so a snapshot read with secrets can be blanked again to compare it with one without.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._bodies import load_schemas
from .._models import SECRET_MASK

__all__ = ["SECRET_MASK", "blank_secrets"]


def blank_secrets(value: Any, schema: str | None) -> Any:
    """``value`` (an object of ``schema``, or a list of them) with its secrets blanked; a new value, not a copy."""
    if schema is None:
        return value
    return _walk(value, {"ref": schema}, load_schemas(), 0)


Schemas = Mapping[str, Any]


def _holds_secrets(descriptor: Mapping[str, Any], schemas: Schemas, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a value of ``descriptor`` can hold a secret anywhere inside (so the walk may skip the rest)."""
    if "ref" in descriptor:
        name = str(descriptor["ref"])
        if name in seen:
            return False
        known = _SECRETIVE.get(name)
        if known is None:
            schema = schemas.get(name)
            known = isinstance(schema, Mapping) and _schema_holds_secrets(schema, schemas, seen | {name})
            if not seen:
                _SECRETIVE[name] = known
        return known
    if "one_of" in descriptor:
        return any(_holds_secrets(option, schemas, seen) for option in descriptor["one_of"])
    if descriptor.get("type") == "array":
        return _holds_secrets(descriptor.get("items") or {}, schemas, seen)
    return _schema_holds_secrets(descriptor, schemas, seen)


def _schema_holds_secrets(schema: Mapping[str, Any], schemas: Mapping[str, Any], seen: frozenset[str]) -> bool:
    if schema.get("secret_fields"):
        return True
    properties: Mapping[str, Any] = schema.get("properties") or {}
    return any(_holds_secrets(prop, schemas, seen) for prop in properties.values())


_SECRETIVE: dict[str, bool] = {}  # schema name -> holds a secret somewhere (the schemas never change)


def _walk(value: Any, descriptor: Mapping[str, Any], schemas: Mapping[str, Any], depth: int) -> Any:
    if value is None or depth > 64 or not _holds_secrets(descriptor, schemas):
        return value
    if isinstance(value, list):
        items = descriptor.get("items") if descriptor.get("type") == "array" else descriptor
        return [_walk(item, items or {}, schemas, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if "one_of" in descriptor:
        for option in descriptor["one_of"]:
            value = _walk(value, option, schemas, depth + 1)
        return value
    schema = schemas.get(str(descriptor.get("ref"))) if "ref" in descriptor else descriptor
    if not isinstance(schema, Mapping):
        return value
    properties: Mapping[str, Any] = schema.get("properties") or {}
    secret = set(schema.get("secret_fields") or ())
    out: dict[str, Any] = {}
    for name, item in value.items():
        if name in secret and item is not None:
            out[name] = SECRET_MASK
        elif name in properties:
            out[name] = _walk(item, properties[name], schemas, depth + 1)
        else:
            out[name] = item
    return out
