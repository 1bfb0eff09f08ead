"""Rules for secrets: which properties hold passwords, PINs, keys and tokens, so reprs can hide them."""

from __future__ import annotations

import re
from typing import Any

from .document import Document, RuleReport, resolve

__all__ = ["secret_fields"]

_SECRET_NAME = re.compile(r"(Password|Secret|PIN|Pin|PinNumber|ApiKey|APIKey|PrivateKey|LicenseKey)$|^Token$")
_CONCEALED_PAYLOAD = {"ConcealedPassword": "Value", "ConcealedDataFile": "Contents"}


def _is_secret(schema_name: str, prop_name: str, prop: dict[str, Any]) -> bool:
    if prop.get("type") != "string" or prop.get("format") in ("uuid", "date-time", "date"):
        return False  # flags ("DeskphonePassword": true asks to regenerate one) and concealed objects are not
    short = schema_name[4:] if schema_name.startswith("Pbx.") else schema_name
    return _CONCEALED_PAYLOAD.get(short) == prop_name or bool(_SECRET_NAME.search(prop_name))


def secret_fields(doc: Document) -> RuleReport:
    """Secrets: mark string properties that hold passwords, PINs, keys and tokens (``x-threecx-secret``).

    By name (``AuthPassword``, ``AccessPassword``, ``DeskphonePassword``, ``VMPIN``, ``PinNumber``,
    ``ApiKey``, ``LicenseKey``, ``Secret``, a refresh ``Token``) and the payload of 3CX's own concealed
    types (``ConcealedPassword.Value``, ``ConcealedDataFile.Contents``); only strings, so flags named
    like secrets and identifiers (``AuthID``, ``AccessKey``, ``NextPageToken``) stay visible. Each object
    schema lists its secret properties, inherited ones included, in ``x-threecx-secret-fields``: model
    reprs show ``'***'`` for them and ``schemas.json`` lists them.
    """
    report = RuleReport()
    schemas = doc.get("components", {}).get("schemas") or {}
    owners: dict[int, str] = {id(schema): name for name, schema in schemas.items() if isinstance(schema, dict)}
    objects: list[tuple[str, dict[str, Any]]] = []
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            where = owners.get(id(node), where)
            props = node.get("properties")
            if isinstance(props, dict):
                objects.append((where, node))
                for name, prop in list(props.items()):
                    if isinstance(prop, dict) and _is_secret(where, name, prop):
                        props[name] = {**prop, "x-threecx-secret": True}  # a copy: YAML aliases share nodes
                        report.touch(where or "inline")
            stack.extend((where, value) for value in node.values())
        elif isinstance(node, list):
            stack.extend((where, value) for value in node)

    def own_and_inherited(schema: dict[str, Any], depth: int = 0) -> list[str]:
        found: list[str] = []
        for part in schema.get("allOf") or []:
            if isinstance(part, dict) and depth < 32:
                found += own_and_inherited(resolve(doc, part), depth + 1)
        props = schema.get("properties") or {}
        found += [name for name, prop in props.items() if isinstance(prop, dict) and prop.get("x-threecx-secret")]
        return found

    for schema in [s for s in schemas.values() if isinstance(s, dict)] + [node for _, node in objects]:
        names = own_and_inherited(schema)
        if names:
            schema["x-threecx-secret-fields"] = sorted(set(names))
    return report
