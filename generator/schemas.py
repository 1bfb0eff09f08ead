"""``schemas.json``: the document's component schemas reduced to what a client needs to check a body.

The facade converts and checks plain-dict request bodies before anything is sent (an integer where the
schema says string is converted when that is lossless; a wrong type or an unknown key is refused, naming
the field). The generated attrs models do not carry their schemas, so the generator ships them as data:
every component with its properties flattened across ``allOf``, each property as a small descriptor, and
``secret_fields``: the wire names of the properties that hold secrets (passwords, PINs, keys), where any.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .normalise import Document, resolve

__all__ = ["component_schemas", "descriptor"]

_PREFIX = "#/components/schemas/"


def descriptor(doc: Document, schema: dict[str, Any]) -> dict[str, Any]:
    """A property's type: ``{"ref": Name}``, ``{"type": "array", "items": ...}``, ``{"one_of": [...]}`` or a
    primitive ``{"type", "format", "enum"}``; ``"nullable": true`` where null is allowed."""
    out: dict[str, Any]
    nullable = bool(schema.get("nullable"))
    ref = schema.get("$ref")
    all_of = schema.get("allOf")
    choices = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(ref, str) and ref.startswith(_PREFIX):
        out = {"ref": ref[len(_PREFIX) :]}
    elif isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict) and "$ref" in all_of[0]:
        out = descriptor(doc, all_of[0])
    elif isinstance(choices, list):
        options = [descriptor(doc, c) for c in choices if isinstance(c, dict)]
        nullable = nullable or any(o.get("nullable") for o in options)
        out = {"one_of": [{k: v for k, v in o.items() if k != "nullable"} for o in options]}
    elif schema.get("type") == "array":
        items = schema.get("items")
        out = {"type": "array", "items": descriptor(doc, items) if isinstance(items, dict) else {}}
    elif schema.get("type") == "object" or "properties" in schema or isinstance(all_of, list):
        out = {"type": "object", "properties": _properties(doc, schema)}
    else:
        out = {k: schema[k] for k in ("type", "format", "enum") if k in schema}
    if nullable:
        out["nullable"] = True
    return out


def _properties(doc: Document, schema: dict[str, Any]) -> dict[str, Any]:
    """Properties of an object schema, with those inherited through ``allOf`` first."""
    props: dict[str, Any] = {}
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            props.update(_properties(doc, resolve(doc, part)))
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict):
            props[name] = descriptor(doc, prop)
    return props


def component_schemas(doc: Document, python_name: Callable[[str], str]) -> dict[str, Any]:
    """Every component schema: enums as ``{"enum": [...]}``, objects as ``{"properties": {...}}``.

    Objects also carry ``python_names``, wire name -> the models' attribute name where the two differ, so that
    a body given with Python names is checked without re-deriving the generator's naming rules at run time.
    """
    out: dict[str, Any] = {}
    for name, schema in sorted((doc.get("components", {}).get("schemas") or {}).items()):
        if not isinstance(schema, dict):
            continue
        if "enum" in schema:
            out[name] = {"type": schema.get("type", "string"), "enum": schema["enum"]}
        else:
            properties = _properties(doc, schema)
            names = {wire: python_name(wire) for wire in properties}
            out[name] = {"properties": properties, "python_names": {w: p for w, p in names.items() if w != p}}
            if schema.get("x-threecx-secret-fields"):  # set by the "secret fields" normalisation rule
                out[name]["secret_fields"] = list(schema["x-threecx-secret-fields"])
    return out
