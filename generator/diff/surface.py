"""The SDK surface of a document: the methods, models and enums code using the SDK touches, with Python types.

``surface(data)`` names everything as the generated SDK does (``naming``) and types it as the generated code
annotates it: ``int``, ``float``, ``str``, ``datetime``, model and enum classes, ``list[...]``, ``| None``. A
schema detail that does not reach an annotation (descriptions, bounds, ``int32`` against ``int64``) is not part
of the surface, so it cannot show up as a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..fetch import DocumentError
from ..normalise import Document, iter_operations, resolve
from .naming import (
    ODATA_ARGUMENTS,
    attribute_name,
    class_name,
    enum_members,
    method_name,
    named_document,
    resource_name,
)

__all__ = ["Annotation", "Argument", "Field", "Method", "Model", "SpecDiffError", "Surface", "surface"]

_SCHEMAS = "#/components/schemas/"
_WHOLE_FORMATS = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})
_STRING_FORMATS = {"date-time": "datetime", "date": "date", "uuid": "UUID", "binary": "File"}


class SpecDiffError(DocumentError):
    """A document is readable but not comparable (a dangling ``$ref``, a malformed operation); shown as-is."""


@dataclass(frozen=True)
class Annotation:
    """A Python type as the generated code writes it: its members (``int``, ``User``, ``None``...)."""

    members: frozenset[str]
    whole: bool = False  # a ``float`` the document declares with an integer format (``number/int64``)
    refs: frozenset[str] = field(default=frozenset(), compare=False)  # model and enum classes it names

    def __str__(self) -> str:
        tail: list[str] = [m for m in ("Unset", "None") if m in self.members]
        return " | ".join(sorted(self.members.difference(tail)) + tail) or "None"


@dataclass(frozen=True)
class Argument:
    """A method argument: ``positional`` (keys, function parameters), ``keyword`` (body fields, query), ``option``
    (OData ``top``, ``filter``...) or ``body`` (an entity)."""

    name: str
    kind: str
    annotation: Annotation
    required: bool


@dataclass(frozen=True)
class Method:
    resource: str
    name: str
    operation_id: str
    route: str  # "GET /Users({Id})"
    arguments: tuple[Argument, ...]
    returns: Annotation
    page_of: str | None  # the item class of a paged collection

    @property
    def call(self) -> str:
        return f"pbx.{self.resource}.{self.name}"

    @property
    def returns_text(self) -> str:
        return f"pages of {self.page_of}" if self.page_of else str(self.returns)


@dataclass(frozen=True)
class Field:
    name: str
    annotation: Annotation
    required: bool


@dataclass(frozen=True)
class Model:
    """A generated class: ``kind`` is ``model`` (fields) or ``enum`` (members); ``read``/``written`` say whether
    a response or a request body reaches it."""

    name: str
    kind: str
    fields: Mapping[str, Field]
    members: Mapping[str, str]
    read: bool = False
    written: bool = False


@dataclass(frozen=True)
class Surface:
    methods: Mapping[str, Method]  # by "resource.method"
    models: Mapping[str, Model]  # by class name


class _Types:
    """Annotations for schema nodes of one (named) document."""

    def __init__(self, doc: Document) -> None:
        self.schemas: dict[str, Any] = (doc.get("components") or {}).get("schemas") or {}
        self.doc = doc
        self._fields: dict[str, dict[str, Field]] = {}

    def component(self, ref: object) -> tuple[str, dict[str, Any]]:
        if not isinstance(ref, str) or not ref.startswith(_SCHEMAS):
            raise SpecDiffError(f"unsupported $ref {ref!r}: only #/components/schemas/ references name a type")
        name = ref[len(_SCHEMAS) :]
        node = self.schemas.get(name)
        if not isinstance(node, dict):
            raise SpecDiffError(f"dangling $ref {ref!r}")
        return name, node

    def is_class(self, node: dict[str, Any]) -> bool:
        return "enum" in node or _is_object(node)

    def annotation(self, node: object, depth: int = 0) -> Annotation:
        if depth > 32:
            raise SpecDiffError("schema nesting deeper than 32 levels (a cycle?)")
        if not isinstance(node, dict):
            return Annotation(frozenset({"Any"}))
        nullable = node.get("nullable") is True
        out = self._members(node, depth)
        if nullable:
            out = Annotation(out.members | {"None"}, out.whole, out.refs)
        return out

    def _members(self, node: dict[str, Any], depth: int) -> Annotation:
        if "$ref" in node:
            name, target = self.component(node["$ref"])
            if self.is_class(target):
                cls = class_name(name)
                return Annotation(frozenset({cls}), refs=frozenset({cls}))
            return self.annotation(target, depth + 1)  # a primitive alias is inlined by the generator
        for key in ("allOf", "oneOf", "anyOf"):
            parts = node.get(key)
            if isinstance(parts, list) and parts and not node.get("properties"):
                inner = [self.annotation(part, depth + 1) for part in parts]
                if key == "allOf" and len(inner) > 1:
                    return Annotation(frozenset({"object"}))
                return Annotation(
                    frozenset().union(*(a.members for a in inner)),
                    any(a.whole for a in inner),
                    frozenset().union(*(a.refs for a in inner)),
                )
        kind = node.get("type")
        if kind == "array":
            items = self.annotation(node.get("items"), depth + 1)
            return Annotation(frozenset({f"list[{items}]"}), items.whole, items.refs)
        if kind == "integer":
            return Annotation(frozenset({"int"}))
        if kind == "number":
            return Annotation(frozenset({"float"}), whole=node.get("format") in _WHOLE_FORMATS)
        if kind == "boolean":
            return Annotation(frozenset({"bool"}))
        if kind == "string":
            return Annotation(frozenset({_STRING_FORMATS.get(str(node.get("format")), "str")}))
        if _is_object(node):
            return Annotation(frozenset({"object"}))
        return Annotation(frozenset({"Any"}))

    def fields(self, node: dict[str, Any], depth: int = 0) -> dict[str, Field]:
        """Properties flattened across ``allOf`` (bases first, own properties win), as the generated class has them."""
        if depth > 32:
            raise SpecDiffError("allOf nesting deeper than 32 levels (a cycle?)")
        out: dict[str, Field] = {}
        for part in node.get("allOf") or []:
            if isinstance(part, dict) and "$ref" in part:
                out.update(self.component_fields(part["$ref"], depth + 1))
            elif isinstance(part, dict):
                out.update(self.fields(part, depth + 1))
        required = {str(name) for name in node.get("required") or []}
        for name, prop in (node.get("properties") or {}).items():
            attr = attribute_name(str(name))
            out[attr] = Field(attr, self.annotation(prop), str(name) in required)
        return out

    def component_fields(self, ref: str, depth: int = 0) -> dict[str, Field]:
        if ref not in self._fields:
            self._fields[ref] = self.fields(self.component(ref)[1], depth)
        return self._fields[ref]


def _is_object(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" or "properties" in node or len(node.get("allOf") or []) > 1


def _resolve(doc: Document, node: object) -> dict[str, Any]:
    """The generator's one ``$ref`` resolver, with a dangling or cyclic reference reported as a diff error."""
    if not isinstance(node, dict):
        return {}
    try:
        target = resolve(doc, node)
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecDiffError(f"cannot follow $ref {node.get('$ref')!r}: {exc}") from None
    return target if isinstance(target, dict) else {}


def _json_schema(doc: Document, holder: object) -> dict[str, Any] | None:
    content = _resolve(doc, holder).get("content")
    if not isinstance(content, dict) or not content:
        return None
    media = content.get("application/json") or next(iter(content.values()))
    schema = media.get("schema") if isinstance(media, dict) else None
    return schema if isinstance(schema, dict) else None


def _method(types: _Types, path: str, http: str, op: dict[str, Any]) -> Method:
    doc = types.doc
    arguments: list[Argument] = []
    options: set[str] = set()
    for param in op.get("parameters") or []:
        param = _resolve(doc, param)
        wire, location = str(param.get("name")), param.get("in")
        annotation = types.annotation(param.get("schema"))
        if location == "path":
            if param.get("x-threecx-nullable"):
                annotation = Annotation(annotation.members | {"None"}, annotation.whole, annotation.refs)
            arguments.append(Argument(attribute_name(wire), "positional", annotation, True))
        elif location == "query" and wire in ODATA_ARGUMENTS:
            options.add(wire)
            arguments.append(Argument(ODATA_ARGUMENTS[wire][0], "option", annotation, False))
        elif location in ("query", "header"):
            arguments.append(Argument(attribute_name(wire), "keyword", annotation, param.get("required") is True))
    body = _resolve(doc, op.get("requestBody")) if op.get("requestBody") else None
    schema = _json_schema(doc, body) if body else None
    if body is not None and schema is not None:
        if "$ref" in schema:
            arguments.append(Argument("body", "body", types.annotation(schema), body.get("required") is True))
        else:
            for name, fld in types.fields(schema).items():
                arguments.append(Argument(name, "keyword", fld.annotation, fld.required))
    returns = Annotation(frozenset({"None"}))
    page_of: str | None = None
    for status, response in sorted((op.get("responses") or {}).items()):
        if not str(status).startswith("2"):
            continue
        answer = _json_schema(doc, response)
        if answer is None:
            continue
        returns = types.annotation(answer)
        target = types.component(answer["$ref"])[1] if "$ref" in answer else answer
        found = types.component_fields(answer["$ref"]) if "$ref" in answer else types.fields(answer)
        value = found.get("value") if _is_object(target) else None
        if value is not None and "$top" in options:
            items = value.annotation
            only = [m[5:-1] for m in items.members if m.startswith("list[")]
            page_of = only[0] if len(only) == 1 else None
        break
    op_id = str(op.get("operationId") or f"{http} {path}")
    tag = str((op.get("tags") or ["default"])[0])
    return Method(
        resource_name(tag), method_name(op_id), op_id, f"{http.upper()} {path}", tuple(arguments), returns, page_of
    )


def surface(data: Mapping[str, Any]) -> Surface:
    """The SDK surface of a raw document (it is copied and normalised by the naming rules first)."""
    try:
        doc = named_document(dict(data))
    except SpecDiffError:
        raise
    except (KeyError, AttributeError, TypeError, ValueError, RecursionError) as exc:
        raise SpecDiffError(f"malformed document: {type(exc).__name__}: {exc}") from None
    types = _Types(doc)
    try:
        methods: dict[str, Method] = {}
        for path, http, op in iter_operations(doc):
            method = _method(types, str(path), http, op)
            methods[f"{method.resource}.{method.name}"] = method
        models: dict[str, Model] = {}
        for name, node in types.schemas.items():
            if not isinstance(node, dict) or not types.is_class(node):
                continue
            cls = class_name(str(name))
            if "enum" in node:
                members = enum_members(cls, list(node["enum"]) if isinstance(node["enum"], list) else [])
                models[cls] = Model(cls, "enum", {}, members)
            else:
                models[cls] = Model(cls, "model", types.component_fields(_SCHEMAS + str(name)), {})
        return Surface(methods, _with_directions(methods, models))
    except SpecDiffError:
        raise
    except (KeyError, AttributeError, TypeError, ValueError, RecursionError) as exc:
        raise SpecDiffError(f"malformed document: {type(exc).__name__}: {exc}") from None


def _with_directions(methods: Mapping[str, Method], models: dict[str, Model]) -> dict[str, Model]:
    """Mark the models a response reaches (``read``) and those a request body or argument reaches (``written``)."""

    def reach(roots: set[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in seen or name not in models:
                continue
            seen.add(name)
            for fld in models[name].fields.values():
                stack.extend(fld.annotation.refs)
        return seen

    read = reach({ref for m in methods.values() for ref in m.returns.refs})
    written = reach({ref for m in methods.values() for a in m.arguments for ref in a.annotation.refs})
    return {
        name: Model(model.name, model.kind, model.fields, model.members, name in read, name in written)
        for name, model in models.items()
    }
