"""What changed between two XAPI documents, at the level code using the SDK sees.

A 3CX upgrade changes the document; what an SDK user needs to know is which functions, parameters, models, fields
and enum values appeared, vanished or changed type, and whether their code can break. ``surface`` reduces a raw
document (not normalised: the report describes what 3CX published, with ``$ref``s resolved) to that API surface;
``diff`` compares two surfaces and classifies every change; the renderers print it for a terminal and as Markdown
for ``spec/changes/``. Descriptions, examples, patterns and bounds are deliberately left out: they do not change
a generated signature.

Usage: ``python -m generator diff --old FILE --new FILE [--markdown-dir spec/changes]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fetch import DocumentError, FetchedDocument, load
from .pipeline import ROOT, xapi_version

__all__ = [
    "CHANGES_DIR",
    "Body",
    "Change",
    "Changed",
    "Field",
    "Operation",
    "Param",
    "Schema",
    "SpecDiff",
    "SpecDiffError",
    "Surface",
    "add_arguments",
    "describe",
    "diff",
    "document_label",
    "main",
    "markdown_name",
    "render_markdown",
    "render_text",
    "report",
    "run",
    "summary_line",
    "surface",
]

CHANGES_DIR = ROOT / "spec" / "changes"
METHODS = ("get", "put", "post", "patch", "delete")
JSON = "application/json"


class SpecDiffError(DocumentError):
    """A document is readable but not comparable (a dangling ``$ref``, a malformed operation); shown as-is."""


# --------------------------------------------------------------------------------------------------- the surface


@dataclass(frozen=True)
class Param:
    """One operation parameter; its position in ``Operation.params`` is its order."""

    name: str
    location: str
    type: str
    nullable: bool
    required: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.location


@dataclass(frozen=True)
class Field:
    """One property of a model (or of an inline request body), as the generated attribute types it."""

    type: str
    nullable: bool
    required: bool


@dataclass(frozen=True)
class Body:
    """A request body: ``type`` is the schema name for a ``$ref``, else a description; inline objects list fields."""

    type: str
    required: bool
    fields: Mapping[str, Field]


@dataclass(frozen=True)
class Operation:
    key: str
    method: str
    path: str
    params: tuple[Param, ...]
    body: Body | None
    responses: Mapping[str, str]  # success status -> schema name or type ("no content" when empty)


@dataclass(frozen=True)
class Schema:
    """A component schema: ``kind`` is ``object``, ``enum`` or the type of a primitive alias."""

    name: str
    kind: str
    fields: Mapping[str, Field]
    enum: tuple[str, ...]


@dataclass(frozen=True)
class Surface:
    operations: Mapping[str, Operation]
    schemas: Mapping[str, Schema]


def _ref_name(ref: object) -> str:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise SpecDiffError(f"unsupported $ref {ref!r}: only local references are handled")
    return ref.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")


class _Resolver:
    """Follows local ``$ref``s with a clear error for dangling ones (a bad document must not be a KeyError)."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc

    def __call__(self, node: object) -> dict[str, Any]:
        for _ in range(33):
            if not isinstance(node, dict):
                return {}
            ref = node.get("$ref")
            if ref is None:
                return node
            _ref_name(ref)
            target: Any = self.doc
            for part in str(ref)[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise SpecDiffError(f"dangling $ref {ref!r}")
                target = target[part]
            node = target
        raise SpecDiffError(f"$ref cycle at {node!r:.80}")


def describe(node: object) -> str:
    """A compact type for a schema node, nullability of the node itself excluded.

    Referenced schemas are named, not expanded, so a change inside ``Pbx.User`` shows once, under schemas.
    """
    if not isinstance(node, dict):
        return "any"
    if "$ref" in node:
        return _ref_name(node["$ref"])
    for key, joiner in (("allOf", " & "), ("oneOf", " | "), ("anyOf", " | ")):
        parts = node.get(key)
        if isinstance(parts, list) and parts:
            inner = [_nullable(part) for part in parts]
            if "properties" in node or "additionalProperties" in node:
                inner.append(_object(node))
            if key == "allOf" and len(inner) == 1:
                return inner[0]
            return f"{key}({joiner.join(inner)})"
    kind = node.get("type")
    if "enum" in node and isinstance(node["enum"], list):
        return f"{kind or 'any'} enum({', '.join(str(v) for v in node['enum'])})"
    if kind == "array":
        return f"array[{_nullable(node.get('items'))}]"
    if kind == "object" or "properties" in node or "additionalProperties" in node:
        return _object(node)
    if isinstance(kind, str):
        fmt = node.get("format")
        return f"{kind}/{fmt}" if isinstance(fmt, str) else kind
    return "any"


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _nullable(node: object) -> str:
    text = describe(node)
    return f"{text} | null" if isinstance(node, dict) and node.get("nullable") is True else text


def _object(node: dict[str, Any]) -> str:
    props = _mapping(node.get("properties"))
    required = set(node.get("required") or [])
    parts = [f"{name}{'*' if name in required else ''}: {_nullable(p)}" for name, p in sorted(props.items())]
    extra = node.get("additionalProperties")
    if extra is True or isinstance(extra, dict):
        parts.append(f"*: {_nullable(extra) if isinstance(extra, dict) else 'any'}")
    return "object{" + ", ".join(parts) + "}" if parts else "object"


def _is_nullable(node: dict[str, Any]) -> bool:
    return node.get("nullable") is True


def _fields(resolve: _Resolver, node: dict[str, Any], depth: int = 0) -> dict[str, Field]:
    """Properties flattened across ``allOf`` (bases first, own properties win), as the generated model has them."""
    if depth > 32:
        raise SpecDiffError("allOf nesting deeper than 32 levels (a cycle?)")
    out: dict[str, Field] = {}
    for part in node.get("allOf") or []:
        out.update(_fields(resolve, resolve(part), depth + 1))
    required = {str(name) for name in node.get("required") or []}
    for name, prop in (node.get("properties") or {}).items():
        prop = prop if isinstance(prop, dict) else {}
        out[str(name)] = Field(describe(prop), _is_nullable(prop), str(name) in required)
    for name in required & out.keys():  # a subtype may require an inherited property
        out[name] = Field(out[name].type, out[name].nullable, True)
    return out


def _is_object(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" or "properties" in node or "allOf" in node


def _schema(resolve: _Resolver, name: str, node: object) -> Schema:
    node = resolve(node)
    if "enum" in node and isinstance(node["enum"], list):
        return Schema(name, "enum", {}, tuple(str(value) for value in node["enum"]))
    if _is_object(node):
        return Schema(name, "object", _fields(resolve, node), ())
    return Schema(name, _nullable(node), {}, ())


def _media_schema(content: object) -> tuple[str, object] | None:
    """The schema of the JSON media type (or of the first one, named, when there is no JSON)."""
    if not isinstance(content, dict) or not content:
        return None
    if JSON in content:
        media = content[JSON]
        return "", media.get("schema") if isinstance(media, dict) else None
    media_type, media = next(iter(content.items()))
    return f"{media_type}: ", media.get("schema") if isinstance(media, dict) else None


def _body(resolve: _Resolver, node: object) -> Body | None:
    if node is None:
        return None
    body = resolve(node)
    required = body.get("required") is True
    found = _media_schema(body.get("content"))
    if found is None:
        return Body("no content", required, {})
    prefix, schema = found
    if isinstance(schema, dict) and "$ref" not in schema and _is_object(schema):
        return Body(prefix + "object", required, _fields(resolve, schema))
    text = prefix + (_nullable(schema) if isinstance(schema, dict) else "any")
    return Body(text, required, {})


def _response(resolve: _Resolver, node: object) -> str:
    found = _media_schema(resolve(node).get("content"))
    if found is None:
        return "no content"
    prefix, schema = found
    return prefix + (_nullable(schema) if isinstance(schema, dict) else "any")


def _params(resolve: _Resolver, shared: object, own: object) -> tuple[Param, ...]:
    """The operation's parameters in order; path-item parameters follow unless the operation redefines them."""
    mine = [resolve(p) for p in (own if isinstance(own, list) else [])]
    taken = {(p.get("name"), p.get("in")) for p in mine}
    mine += [
        p
        for p in (resolve(q) for q in (shared if isinstance(shared, list) else []))
        if (p.get("name"), p.get("in")) not in taken
    ]
    out: list[Param] = []
    for param in mine:
        schema = _mapping(param.get("schema"))
        location = str(param.get("in"))
        out.append(
            Param(
                name=str(param.get("name")),
                location=location,
                type=describe(schema),
                nullable=_is_nullable(schema),
                required=location == "path" or param.get("required") is True,
            )
        )
    return tuple(out)


def surface(data: Mapping[str, Any]) -> Surface:
    """The API surface of a raw document: operations by ``operationId`` (else ``METHOD path``), schemas by name."""
    resolve = _Resolver(data)
    operations: dict[str, Operation] = {}
    try:
        for path, item in (data.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                fallback = f"{method.upper()} {path}"
                key = str(op.get("operationId") or fallback)
                if key in operations:  # a duplicate operationId: keep both, the second under its route
                    key = f"{key} ({fallback})"
                responses = _mapping(op.get("responses"))
                operations[key] = Operation(
                    key=key,
                    method=method.upper(),
                    path=str(path),
                    params=_params(resolve, item.get("parameters"), op.get("parameters")),
                    body=_body(resolve, op.get("requestBody")),
                    responses={
                        str(status): _response(resolve, answer)
                        for status, answer in responses.items()
                        if str(status).startswith("2")
                    },
                )
        schemas = ((data.get("components") or {}).get("schemas")) or {}
        return Surface(operations, {str(name): _schema(resolve, str(name), node) for name, node in schemas.items()})
    except SpecDiffError:
        raise
    except (AttributeError, TypeError, ValueError, RecursionError) as exc:
        raise SpecDiffError(f"malformed document: {type(exc).__name__}: {exc}") from None


# --------------------------------------------------------------------------------------------------- the diff


@dataclass(frozen=True)
class Change:
    """One change inside an operation or schema; ``breaking`` when code written against the old SDK can fail."""

    kind: str  # e.g. "parameter added", "field retyped", "enum value removed"
    detail: str
    breaking: bool


@dataclass(frozen=True)
class Changed:
    name: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> bool:
        return any(change.breaking for change in self.changes)


@dataclass(frozen=True)
class SpecDiff:
    operations_added: tuple[Operation, ...] = ()
    operations_removed: tuple[Operation, ...] = ()
    operations_changed: tuple[Changed, ...] = ()
    schemas_added: tuple[Schema, ...] = ()
    schemas_removed: tuple[Schema, ...] = ()
    schemas_changed: tuple[Changed, ...] = ()

    def breaking_changes(self) -> list[str]:
        """Every breaking change as one line (a removed operation or schema is one)."""
        out = [f"operation removed: {op.key} ({op.method} {op.path})" for op in self.operations_removed]
        out += [f"schema removed: {schema.name}" for schema in self.schemas_removed]
        for area, items in (("operation", self.operations_changed), ("schema", self.schemas_changed)):
            out += [f"{area} {item.name}: {c.kind}: {c.detail}" for item in items for c in item.changes if c.breaking]
        return out

    @property
    def breaking(self) -> int:
        return len(self.breaking_changes())

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.operations_added,
                self.operations_removed,
                self.operations_changed,
                self.schemas_added,
                self.schemas_removed,
                self.schemas_changed,
            )
        )

    @property
    def bump(self) -> str:
        """Semantic-version bump for the SDK: major when anything breaks, minor for additions, patch otherwise."""
        if self.breaking:
            return "major"
        return "patch" if self.empty else "minor"


def _show(kind: str, nullable: bool) -> str:
    return f"{kind} | null" if nullable else kind


def _param_text(param: Param) -> str:
    flags = ", required" if param.required and param.location != "path" else ""
    return f"{param.name} ({param.location}, {_show(param.type, param.nullable)}{flags})"


def _diff_params(old: tuple[Param, ...], new: tuple[Param, ...]) -> list[Change]:
    changes: list[Change] = []
    before = {p.key: p for p in old}
    after = {p.key: p for p in new}
    for param in new:
        if param.key not in before:
            changes.append(Change("parameter added", _param_text(param), breaking=param.required))
    for param in old:
        if param.key not in after:
            changes.append(Change("parameter removed", _param_text(param), breaking=True))
    for param in new:
        was = before.get(param.key)
        if was is None:
            continue
        where = f"{param.name} ({param.location})"
        if was.type != param.type:
            changes.append(Change("parameter retyped", f"{where}: {was.type} -> {param.type}", breaking=True))
        if was.nullable != param.nullable:
            text = "now nullable" if param.nullable else "no longer nullable"
            changes.append(Change("parameter nullability", f"{where} {text}", breaking=was.nullable))
        if was.required != param.required:
            text = "now required" if param.required else "now optional"
            changes.append(Change("parameter required", f"{where} {text}", breaking=param.required))
    # Path parameters are positional in the generated functions: a new order sends values to the wrong slots.
    for location, label in (("path", "path parameters reordered"), (None, "parameters reordered")):
        picked = [p.key for p in old if p.key in after and (location is None or p.location == location)]
        now = [p.key for p in new if p.key in before and (location is None or p.location == location)]
        if picked != now:
            shown = f"{', '.join(n for n, _ in picked)} -> {', '.join(n for n, _ in now)}"
            changes.append(Change(label, shown, breaking=location == "path"))
            break
    return changes


def _diff_fields(prefix: str, old: Mapping[str, Field], new: Mapping[str, Field], *, body: bool) -> list[Change]:
    """Model fields: any change to an existing field's type, nullability or requiredness changes its annotation.

    A request-body field is only sent, so there a field made optional or nullable is harmless; a model may also
    be read from a response, where either change lets ``None``/unset reach code that did not expect it.
    """
    changes: list[Change] = []
    for name, fld in new.items():
        if name not in old:
            text = f"{name}: {_show(fld.type, fld.nullable)}" + (" (required)" if fld.required else "")
            changes.append(Change(f"{prefix} added", text, breaking=fld.required))
    for name, fld in old.items():
        if name not in new:
            changes.append(Change(f"{prefix} removed", f"{name}: {_show(fld.type, fld.nullable)}", breaking=True))
    for name, fld in new.items():
        was = old.get(name)
        if was is None:
            continue
        if was.type != fld.type:
            changes.append(Change(f"{prefix} retyped", f"{name}: {was.type} -> {fld.type}", breaking=True))
        if was.nullable != fld.nullable:
            text = "now nullable" if fld.nullable else "no longer nullable"
            changes.append(Change(f"{prefix} nullability", f"{name} {text}", breaking=not (body and fld.nullable)))
        if was.required != fld.required:
            text = "now required" if fld.required else "now optional"
            changes.append(Change(f"{prefix} required", f"{name} {text}", breaking=not (body and not fld.required)))
    return changes


def _diff_body(old: Body | None, new: Body | None) -> list[Change]:
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        return [Change("body added", new.type + (" (required)" if new.required else ""), breaking=new.required)]
    if new is None:
        return [Change("body removed", old.type, breaking=True)]
    changes: list[Change] = []
    if old.type != new.type:
        changes.append(Change("body retyped", f"{old.type} -> {new.type}", breaking=True))
    if old.required != new.required:
        text = "now required" if new.required else "now optional"
        changes.append(Change("body required", text, breaking=new.required))
    if old.type == new.type:  # fields of one inline object; a retyped body already says it all
        changes += _diff_fields("body field", old.fields, new.fields, body=True)
    return changes


def _diff_responses(old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    changes = [Change("response added", f"{s}: {new[s]}", breaking=False) for s in new if s not in old]
    changes += [Change("response removed", f"{s}: {old[s]}", breaking=True) for s in old if s not in new]
    changes += [
        Change("response retyped", f"{s}: {old[s]} -> {new[s]}", breaking=True)
        for s in new
        if s in old and old[s] != new[s]
    ]
    return changes


def _diff_operation(old: Operation, new: Operation) -> list[Change]:
    changes: list[Change] = []
    if old.method != new.method:
        changes.append(Change("method changed", f"{old.method} -> {new.method}", breaking=True))
    if old.path != new.path:
        changes.append(Change("path changed", f"{old.path} -> {new.path}", breaking=True))
    changes += _diff_params(old.params, new.params)
    changes += _diff_body(old.body, new.body)
    changes += _diff_responses(old.responses, new.responses)
    return changes


def _diff_schema(old: Schema, new: Schema) -> list[Change]:
    if old.kind != new.kind:
        return [Change("schema retyped", f"{old.kind} -> {new.kind}", breaking=True)]
    changes = _diff_fields("field", old.fields, new.fields, body=False)
    # New values are safe: the generated enums keep values they do not know instead of failing to parse.
    changes += [Change("enum value added", v, breaking=False) for v in new.enum if v not in old.enum]
    changes += [Change("enum value removed", v, breaking=True) for v in old.enum if v not in new.enum]
    return changes


def _changed(
    old: Mapping[str, Any], new: Mapping[str, Any], compare: Callable[[Any, Any], list[Change]]
) -> tuple[Changed, ...]:
    out = []
    for name in sorted(old.keys() & new.keys()):
        changes = compare(old[name], new[name])
        if changes:
            out.append(Changed(name, tuple(changes)))
    return tuple(out)


def diff(old: Surface, new: Surface) -> SpecDiff:
    """Every difference between two surfaces, each classified as breaking or not."""
    return SpecDiff(
        operations_added=tuple(new.operations[k] for k in sorted(new.operations.keys() - old.operations.keys())),
        operations_removed=tuple(old.operations[k] for k in sorted(old.operations.keys() - new.operations.keys())),
        operations_changed=_changed(old.operations, new.operations, _diff_operation),
        schemas_added=tuple(new.schemas[k] for k in sorted(new.schemas.keys() - old.schemas.keys())),
        schemas_removed=tuple(old.schemas[k] for k in sorted(old.schemas.keys() - new.schemas.keys())),
        schemas_changed=_changed(old.schemas, new.schemas, _diff_schema),
    )


# --------------------------------------------------------------------------------------------------- reports


def summary_line(d: SpecDiff) -> str:
    """The one line scripts grep for; always the last line ``diff`` prints."""
    return (
        f"operations: +{len(d.operations_added)} -{len(d.operations_removed)} ~{len(d.operations_changed)}; "
        f"schemas: +{len(d.schemas_added)} -{len(d.schemas_removed)} ~{len(d.schemas_changed)}; "
        f"breaking: {d.breaking}"
    )


def _schema_text(schema: Schema) -> str:
    if schema.kind == "enum":
        return f"enum, {len(schema.enum)} values"
    if schema.kind == "object":
        return f"object, {len(schema.fields)} fields"
    return schema.kind


def _mark(breaking: bool) -> str:
    return "!" if breaking else "~"


def render_text(d: SpecDiff) -> str:
    """A terminal report: one section per kind of change, one line per change, breaking ones marked ``!``."""
    out: list[str] = []

    def section(title: str, lines: Iterable[str]) -> None:
        body = list(lines)
        out.append(f"{title} ({len(body)})" + (":" if body else ""))
        out.extend(f"  {line}" for line in body)

    section("Operations added", (f"+ {op.key}  {op.method} {op.path}" for op in d.operations_added))
    section("Operations removed", (f"! {op.key}  {op.method} {op.path}  [BREAKING]" for op in d.operations_removed))
    out.append(f"Operations changed ({len(d.operations_changed)})" + (":" if d.operations_changed else ""))
    out.extend(_change_lines(d.operations_changed))
    section("Schemas added", (f"+ {s.name}  ({_schema_text(s)})" for s in d.schemas_added))
    section("Schemas removed", (f"! {s.name}  ({_schema_text(s)})  [BREAKING]" for s in d.schemas_removed))
    out.append(f"Schemas changed ({len(d.schemas_changed)})" + (":" if d.schemas_changed else ""))
    out.extend(_change_lines(d.schemas_changed))
    out.append("")
    out.append(f"breaking changes: {d.breaking}; suggested version bump: {d.bump}")
    return "\n".join(out)


def _change_lines(items: Iterable[Changed]) -> list[str]:
    return [
        f"  {_mark(c.breaking)} {item.name}: {c.kind}: {c.detail}" + ("  [BREAKING]" if c.breaking else "")
        for item in items
        for c in item.changes
    ]


def _md(text: str) -> str:
    """Inline code that survives Markdown (a backtick inside a name or type would end the span)."""
    return "`" + text.replace("`", "'") + "`"


def render_markdown(d: SpecDiff, old_label: str, new_label: str) -> str:
    """The report for ``spec/changes/``: deterministic (no dates), so regenerating it is a no-op in git."""
    out = [
        f"# XAPI {old_label} -> {new_label}",
        "",
        "What changed for code that uses the SDK, generated by `python -m generator diff`.",
        "",
        "| | added | removed | changed |",
        "|---|---:|---:|---:|",
        f"| operations | {len(d.operations_added)} | {len(d.operations_removed)} | {len(d.operations_changed)} |",
        f"| schemas | {len(d.schemas_added)} | {len(d.schemas_removed)} | {len(d.schemas_changed)} |",
        "",
        f"**Breaking changes: {d.breaking}.** Suggested version bump: **{d.bump}**.",
        "",
    ]
    breaking = d.breaking_changes()

    def section(title: str, count: int, lines: list[str]) -> None:
        if lines:
            out.extend([f"## {title} ({count})", "", *lines, ""])

    section("Breaking changes", len(breaking), [f"- {_md(line)}" for line in breaking])
    section(
        "Operations added",
        len(d.operations_added),
        [f"- {_md(op.key)} {_md(f'{op.method} {op.path}')}" for op in d.operations_added],
    )
    section(
        "Operations removed",
        len(d.operations_removed),
        [f"- {_md(op.key)} {_md(f'{op.method} {op.path}')} **breaking**" for op in d.operations_removed],
    )
    section("Operations changed", len(d.operations_changed), _md_changed(d.operations_changed))
    section("Schemas added", len(d.schemas_added), [f"- {_md(s.name)} ({_schema_text(s)})" for s in d.schemas_added])
    section(
        "Schemas removed",
        len(d.schemas_removed),
        [f"- {_md(s.name)} ({_schema_text(s)}) **breaking**" for s in d.schemas_removed],
    )
    section("Schemas changed", len(d.schemas_changed), _md_changed(d.schemas_changed))
    out += ["---", "", summary_line(d)]
    return "\n".join(out) + "\n"


def _md_changed(items: Iterable[Changed]) -> list[str]:
    lines: list[str] = []
    for item in items:
        lines.append(f"- {_md(item.name)}" + (" **breaking**" if item.breaking else ""))
        lines += [f"  - {c.kind}: {_md(c.detail)}" + (" **breaking**" if c.breaking else "") for c in item.changes]
    return lines


# --------------------------------------------------------------------------------------------------- entry points


def document_label(document: FetchedDocument) -> str:
    """The 3CX version (``x-3cx-version`` or the file name), else the first 12 hex digits of the sha256."""
    return xapi_version(document.source, document.data) or document.sha256[:12]


def markdown_name(old: FetchedDocument, new: FetchedDocument) -> str:
    """``<old>-to-<new>.md``; two documents of one version but different bytes are told apart by their hashes."""
    old_label, new_label = document_label(old), document_label(new)
    if old_label == new_label and old.sha256 != new.sha256:
        old_label, new_label = f"{old_label}-{old.sha256[:12]}", f"{new_label}-{new.sha256[:12]}"
    return f"{old_label}-to-{new_label}.md"


def report(
    old: FetchedDocument,
    new: FetchedDocument,
    *,
    markdown_dir: Path | None = CHANGES_DIR,
    log: Callable[[str], None] = print,
) -> SpecDiff:
    """Diff two loaded documents, print the report (summary line last) and write the Markdown file."""
    d = diff(_surface_of(old), _surface_of(new))
    old_label, new_label = document_label(old), document_label(new)
    log(f"XAPI document diff: {old_label} -> {new_label}")
    for role, document in (("old", old), ("new", new)):
        log(f"  {role}: {document.source} (sha256 {document.sha256[:12]}, {document.operation_count} operations)")
    log("")
    log(render_text(d))
    if markdown_dir is not None:
        target = markdown_dir / markdown_name(old, new)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render_markdown(d, old_label, new_label), "utf-8")
        except OSError as exc:
            raise SpecDiffError(f"{target}: cannot write: {exc.strerror or exc}") from None
        log(f"written: {_relative(target)}")
    log(summary_line(d))
    return d


def _surface_of(document: FetchedDocument) -> Surface:
    try:
        return surface(document.data)
    except SpecDiffError as exc:
        raise SpecDiffError(f"{document.source}: {exc}") from None


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """CLI: ``--old FILE --new FILE [--markdown-dir DIR]``; ``error: ...`` and exit 2 on a bad input."""
    parser = argparse.ArgumentParser(prog="python -m generator diff", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(args)
    except DocumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--old", required=True, help="the earlier document (a file or a PBX URL)")
    parser.add_argument("--new", required=True, help="the later document (a file or a PBX URL)")
    parser.add_argument(
        "--markdown-dir",
        default=str(CHANGES_DIR),
        help="where <old>-to-<new>.md goes (default: spec/changes); empty to skip",
    )


def run(args: argparse.Namespace) -> int:
    markdown_dir = Path(args.markdown_dir) if args.markdown_dir else None
    report(load(args.old), load(args.new), markdown_dir=markdown_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
