"""Stage 2: rewrite the 3CX quirks out of the document before openapi-python-client sees it.

Each rule is a small function over the document, registered in ``RULES`` with a name and a one-line
description of what it counts. A rule either changes the document so that a stock generator can handle it,
or annotates it with ``x-threecx-*`` extensions that our registry and templates read (openapi-python-client
does not pass extensions through). A rule with nothing to do in a document reports zero and changes nothing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RULES", "NormaliseError", "Rule", "RuleReport", "iter_operations", "normalise", "resolve"]

Document = dict[str, Any]
METHODS = ("get", "put", "post", "patch", "delete")


class NormaliseError(ValueError):
    """The document has something no rule can make generatable; the message names the operation."""


@dataclass
class RuleReport:
    """What one rule touched: ``count`` items in ``operations`` distinct operations (or schemas)."""

    count: int = 0
    where: set[str] = field(default_factory=set)

    def touch(self, where: str, n: int = 1) -> None:
        self.count += n
        self.where.add(where)


@dataclass(frozen=True)
class Rule:
    name: str
    unit: str  # what `where` counts: "operations" or "schemas"
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
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield path, method, op


def _path_parameters(doc: Document, op: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for param in op.get("parameters") or []:
        param = resolve(doc, param)
        if param.get("in") == "path":
            yield param


def _op_name(path: str, method: str, op: dict[str, Any]) -> str:
    return str(op.get("operationId") or f"{method} {path}")


# --- the rules ---------------------------------------------------------------------------------------------


def operation_parameters(doc: Document) -> RuleReport:
    """Path-item and shared parameters: copy them into each operation that uses them.

    OpenAPI lets parameters sit on the path item (shared by its operations) or in ``components/parameters``
    behind a ``$ref``. The later rules annotate path parameters per operation (a key in one operation can be
    a function parameter in another), so each operation gets its own copy; an operation's own parameter
    wins over a path item's of the same name and location, as OpenAPI says.
    """
    report = RuleReport()
    for path, item in (doc.get("paths") or {}).items():
        shared = item.pop("parameters", None) or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            own = op.get("parameters") or []
            params: list[Any] = []
            for param in own:
                if isinstance(param, dict) and "$ref" in param and resolve(doc, param).get("in") == "path":
                    params.append(copy.deepcopy(resolve(doc, param)))
                    report.touch(_op_name(path, method, op))
                else:
                    params.append(param)
            taken = {(p.get("name"), p.get("in")) for p in (resolve(doc, q) for q in params)}
            for param in shared:
                resolved = resolve(doc, param)
                if (resolved.get("name"), resolved.get("in")) not in taken:
                    params.append(copy.deepcopy(resolved) if resolved.get("in") == "path" else param)
                    report.touch(_op_name(path, method, op))
            if params:
                op["parameters"] = params
    return report


def nullable_path_params(doc: Document) -> RuleReport:
    """Nullable path parameters: a stock run drops every operation that has one, so mark and un-null them.

    3CX declares most string function parameters and the alternate keys ``type: string, nullable: true``.
    The nullability is kept as ``x-threecx-nullable`` so that ``None`` can still be sent as ``null``.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        for param in _path_parameters(doc, op):
            schema = param.get("schema") or {}
            if schema.get("nullable"):
                del schema["nullable"]
                param["x-threecx-nullable"] = True
                report.touch(_op_name(path, method, op))
    return report


def path_param_defaults(doc: Document) -> RuleReport:
    """Defaults on path parameters: stock emits them before required ones (invalid Python), so drop them.

    A path parameter is always sent; OData function parameters have no defaults on the wire.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        for param in _path_parameters(doc, op):
            schema = param.get("schema") or {}
            if "default" in schema:
                param["x-threecx-default"] = schema.pop("default")
                report.touch(_op_name(path, method, op))
    return report


_SEGMENT_PARAM = re.compile(r"([A-Za-z_][\w.]*)\(([^()]*)\)")


def odata_path_literals(doc: Document) -> RuleReport:
    """Path parameters as OData literals: classify each as key, alternate key or function parameter.

    Stock substitutes ``quote(str(value))``, which sends strings unquoted, ``True`` and date-times with a
    space. ``x-threecx-role`` (key, alternate-key, function) and ``x-threecx-literal`` (string, int,
    bool, datetime, uuid) tell the templates which literal to write.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        roles: dict[str, str] = {}
        for segment in path.strip("/").split("/"):
            match = _SEGMENT_PARAM.fullmatch(segment)
            if not match:
                continue
            head, inside = match.groups()
            for part in inside.split(","):
                if "=" in part:
                    _, _, value = part.partition("=")
                    role = "function" if "." in head else "alternate-key"
                else:
                    value, role = part, "key"
                if value.startswith("{") and value.endswith("}"):
                    roles[value[1:-1]] = role
        for param in _path_parameters(doc, op):
            schema = resolve(doc, param.get("schema") or {})
            param["x-threecx-role"] = roles.get(param["name"], "segment")
            try:
                param["x-threecx-literal"] = _literal_kind(schema)
            except NormaliseError as exc:
                raise NormaliseError(
                    f"{method.upper()} {path} ({_op_name(path, method, op)}), {param['name']}: {exc}"
                ) from None
            report.touch(_op_name(path, method, op))
    return report


def _literal_kind(schema: dict[str, Any]) -> str:
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        return "int"
    if kind == "boolean":
        return "bool"
    if kind == "string" and fmt == "date-time":
        return "datetime"
    if kind == "string" and fmt == "uuid":
        return "uuid"
    if kind == "string":
        return "string"
    raise NormaliseError(f"path parameter schema {schema!r} has no OData literal form this generator knows")


def collection_annotations(doc: Document) -> RuleReport:
    """Collection control information: declare ``@odata.context`` and ``@odata.nextLink`` beside ``@odata.count``.

    Stock parks them in ``additional_properties``; declaring them makes them typed fields of every
    collection response, so a pager can follow a next link if a PBX ever sends one.
    """
    report = RuleReport()
    for name, schema in (doc.get("components", {}).get("schemas") or {}).items():
        props = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(props, dict) or "@odata.count" not in props:
            continue
        for annotation in ("@odata.context", "@odata.nextLink"):
            if annotation not in props:
                props[annotation] = {"type": "string", "nullable": True}
                report.touch(name)
    return report


_FILE_OPERATION = re.compile(r"^(Download|Export)[A-Z]")


def file_responses(doc: Document) -> RuleReport:
    """Downloads and exports: mark operations a PBX may answer with a file (CSV, WAV, ZIP) instead of JSON.

    The document declares JSON for all of them; ``x-threecx-file-response`` makes the generated function
    return the bytes and content type when the answer is not JSON.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        if method == "get" and _FILE_OPERATION.match(str(op.get("operationId", ""))):
            op["x-threecx-file-response"] = True
            report.touch(_op_name(path, method, op))
    return report


def request_body_titles(doc: Document) -> RuleReport:
    """Inline request bodies: name their models ``<OperationId>Body``.

    Stock derives wrapper names from the path and title, some over 80 characters long.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        body = op.get("requestBody")
        if not isinstance(body, dict) or "$ref" in body:
            continue  # shared bodies under components/requestBodies already have names of their own
        for media in (body.get("content") or {}).values():
            schema = media.get("schema")
            if isinstance(schema, dict) and "$ref" not in schema and schema.get("type") == "object":
                wanted = f"{op.get('operationId', method)}Body"
                if schema.get("title") != wanted:
                    schema["title"] = wanted
                    report.touch(_op_name(path, method, op))
    return report


def shared_collection_responses(doc: Document) -> RuleReport:
    """Inline collection responses: point them at one shared ``<Item>CollectionResponse`` schema.

    3CX inlines ``allOf: [BaseCollectionPaginationCountResponse, {value: [Item]}]`` in every function that
    returns a collection, so a stock run makes one model per operation (``GetCallLogDataCollectionOfCallLogData``)
    next to the shared ``CallLogDataCollectionResponse``. One model per item type is what users expect.
    """
    report = RuleReport()
    schemas = doc.get("components", {}).get("schemas") or {}
    for path, method, op in iter_operations(doc):
        for response in (op.get("responses") or {}).values():
            if not isinstance(response, dict) or "$ref" in response:
                continue
            for media in (response.get("content") or {}).values():
                item_ref = _inline_collection_item(media.get("schema"))
                if item_ref is None:
                    continue
                name = item_ref.rsplit("/", 1)[1] + "CollectionResponse"
                if name not in schemas:
                    schemas[name] = media["schema"]
                elif not _same_collection(schemas[name], item_ref):
                    continue
                media["schema"] = {"$ref": f"#/components/schemas/{name}"}
                report.touch(_op_name(path, method, op))
    return report


def _inline_collection_item(schema: object) -> str | None:
    if not isinstance(schema, dict) or "$ref" in schema:
        return None
    parts = schema.get("allOf")
    if not isinstance(parts, list) or len(parts) != 2:
        return None
    base, own = parts
    if base != {"$ref": "#/components/schemas/BaseCollectionPaginationCountResponse"}:
        return None
    value = (own.get("properties") or {}).get("value") if isinstance(own, dict) else None
    items = value.get("items") if isinstance(value, dict) and value.get("type") == "array" else None
    ref = items.get("$ref") if isinstance(items, dict) else None
    return ref if isinstance(ref, str) and len(own.get("properties")) == 1 else None


def _same_collection(schema: object, item_ref: str) -> bool:
    return _inline_collection_item(schema) == item_ref


def schema_namespace(doc: Document) -> RuleReport:
    """The ``Pbx.`` namespace: drop it from schema names (``Pbx.User`` -> ``User``) unless that would collide.

    Every 3CX schema lives in one namespace, so the prefix only lengthens class names. References are
    rewritten throughout the document; the registry still reports the document's own names.
    """
    report = RuleReport()
    schemas = doc.get("components", {}).get("schemas")
    if not isinstance(schemas, dict):
        return report
    renames: dict[str, str] = {}
    for name in schemas:
        short = name[4:] if name.startswith("Pbx.") else None
        if short and short not in schemas and short not in renames.values():
            renames[name] = short
    if not renames:
        return report
    doc["components"]["schemas"] = {renames.get(name, name): schema for name, schema in schemas.items()}
    prefix = "#/components/schemas/"
    targets = {prefix + old: prefix + new for old, new in renames.items()}
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in targets:
                node["$ref"] = targets[ref]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for old in renames:
        report.touch(old)
    return report


def component_titles(doc: Document) -> RuleReport:
    """Schema titles: drop them from components so that class names come from the stable component names.

    openapi-python-client prefers a title to the component name, which turns ``UserCollectionResponse``
    into ``CollectionOfUser`` and gives unrelated collections look-alike names.
    """
    report = RuleReport()
    for name, schema in (doc.get("components", {}).get("schemas") or {}).items():
        if isinstance(schema, dict) and "title" in schema:
            del schema["title"]
            report.touch(name)
    return report


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


RULES: tuple[Rule, ...] = (
    Rule("operation parameters", "operations", operation_parameters),
    Rule("nullable path params", "operations", nullable_path_params),
    Rule("path param defaults", "operations", path_param_defaults),
    Rule("odata path literals", "operations", odata_path_literals),
    Rule("collection annotations", "schemas", collection_annotations),
    Rule("file responses", "operations", file_responses),
    Rule("request body titles", "operations", request_body_titles),
    Rule("shared collection responses", "operations", shared_collection_responses),
    Rule("schema namespace", "schemas", schema_namespace),
    Rule("component titles", "schemas", component_titles),
    Rule("secret fields", "schemas", secret_fields),
)


def normalise(doc: Document, rules: tuple[Rule, ...] = RULES) -> list[tuple[Rule, RuleReport]]:
    """Apply every rule in order, in place; return what each touched."""
    return [(rule, rule.apply(doc)) for rule in rules]
