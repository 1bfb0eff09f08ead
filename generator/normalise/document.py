"""What every rule works with: the document, its operations, ``$ref`` resolution and the report a rule returns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "METHODS",
    "SCHEMAS",
    "Document",
    "NormaliseError",
    "Rule",
    "RuleReport",
    "iter_operations",
    "op_name",
    "path_parameters",
    "resolve",
    "walk_schemas",
]

Document = dict[str, Any]
METHODS = ("get", "put", "post", "patch", "delete")
SCHEMAS = "#/components/schemas/"


class NormaliseError(ValueError):
    """The document has something no rule can make generatable; the message names the operation."""


@dataclass
class RuleReport:
    """What one rule touched: ``count`` items in ``len(where)`` distinct operations (or schemas)."""

    count: int = 0
    where: set[str] = field(default_factory=set)

    def touch(self, where: str, n: int = 1) -> None:
        self.count += n
        self.where.add(where)


@dataclass(frozen=True)
class Rule:
    """A named rewrite of the document; ``unit`` says what the distinct ``where`` names of its report are."""

    name: str
    unit: str
    apply: Callable[[Document], RuleReport]

    @property
    def doc(self) -> str:
        return (self.apply.__doc__ or "").strip().splitlines()[0]

    def summary(self, report: RuleReport) -> str:
        return f"{self.name}: {report.count} in {len(report.where)} {self.unit}"


def resolve(doc: Document, node: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref`` chains (``#/components/...``)."""
    seen = 0
    while "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ValueError(f"unsupported $ref {ref!r}: only local references are handled")
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
        if seen > 32:
            raise ValueError(f"$ref cycle at {ref}")
    return node


def iter_operations(doc: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(path, method, operation)`` in document order."""
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield path, method, op


def path_parameters(doc: Document, op: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The operation's own path parameters, resolved."""
    for param in op.get("parameters") or []:
        param = resolve(doc, param)
        if param.get("in") == "path":
            yield param


def op_name(path: str, method: str, op: dict[str, Any]) -> str:
    """How a report names an operation: its operationId, else ``method path``."""
    return str(op.get("operationId") or f"{method} {path}")


_SUBSCHEMAS = ("items", "additionalProperties", "not")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def walk_schemas(schema: object) -> Iterator[dict[str, Any]]:
    """``schema`` and every inline schema below it (properties, items, compositions); ``$ref``s are not followed."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or "$ref" in node:
            continue
        yield node
        stack.extend((node.get("properties") or {}).values() if isinstance(node.get("properties"), dict) else ())
        stack.extend(node[key] for key in _SUBSCHEMAS if isinstance(node.get(key), dict))
        for key in _SCHEMA_LISTS:
            parts = node.get(key)
            if isinstance(parts, list):
                stack.extend(parts)
