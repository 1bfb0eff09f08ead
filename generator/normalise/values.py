"""Rules for value types: the same value declared the way a current document declares it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .document import Document, RuleReport, iter_operations, op_name, walk_schemas

__all__ = ["integer_numbers", "nullable_references"]

_INTEGER_FORMATS = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})


def _schemas_by_owner(doc: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(owner, schema)`` for every inline schema: components by name, the rest by operation."""
    components = doc.get("components") or {}
    for name, schema in (components.get("schemas") or {}).items():
        for node in walk_schemas(schema):
            yield str(name), node
    for kind in ("responses", "requestBodies", "parameters"):
        for name, item in (components.get(kind) or {}).items():
            for node in _schemas_of(item):
                yield f"{kind}/{name}", node
    for path, method, op in iter_operations(doc):
        owner = op_name(path, method, op)
        for param in op.get("parameters") or []:
            for node in _schemas_of(param):
                yield owner, node
        for node in _schemas_of(op.get("requestBody")):
            yield owner, node
        for response in (op.get("responses") or {}).values():
            for node in _schemas_of(response):
                yield owner, node


def _schemas_of(item: object) -> Iterator[dict[str, Any]]:
    """Inline schemas of a parameter, request body or response (not behind a ``$ref``)."""
    if not isinstance(item, dict) or "$ref" in item:
        return
    yield from walk_schemas(item.get("schema"))
    for media in (item.get("content") or {}).values():
        if isinstance(media, dict):
            yield from walk_schemas(media.get("schema"))


def integer_numbers(doc: Document) -> RuleReport:
    """Whole numbers declared as ``number``: ``type: number, format: int32`` becomes ``type: integer``.

    Older documents type counts and ids as ``number`` with an integer format (``@odata.count: number/int64``),
    which generates ``float`` fields; current documents say ``integer``, which generates ``int``.
    """
    report = RuleReport()
    for owner, schema in _schemas_by_owner(doc):
        if schema.get("type") == "number" and schema.get("format") in _INTEGER_FORMATS:
            schema["type"] = "integer"
            report.touch(owner)
    return report


def nullable_references(doc: Document) -> RuleReport:
    """Nullable references spelled ``anyOf``/``oneOf: [X]``: spell them ``allOf: [X]`` as current documents do.

    A one-member ``anyOf`` or ``oneOf`` generates a union type (``X | None`` through a union class) where the
    ``allOf`` form generates the model itself; both mean "an X, or null when nullable".
    """
    report = RuleReport()
    for owner, schema in _schemas_by_owner(doc):
        for key in ("anyOf", "oneOf"):
            parts = schema.get(key)
            if (
                isinstance(parts, list)
                and len(parts) == 1
                and isinstance(parts[0], dict)
                and "$ref" in parts[0]
                and "allOf" not in schema
            ):
                schema["allOf"] = schema.pop(key)
                report.touch(owner)
    return report
