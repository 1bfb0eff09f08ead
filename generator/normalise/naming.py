"""Rules for names: operation ids, model names from titles and components, the ``Pbx.`` namespace."""

from __future__ import annotations

import re
from typing import Any

from .document import Document, RuleReport, iter_operations, op_name, walk_schemas

__all__ = ["component_titles", "inline_title_clashes", "operation_ids", "request_body_titles", "schema_namespace"]


def operation_ids(doc: Document) -> RuleReport:
    """Operation ids: give an operation without one an id from its method and path, and make repeated ids unique.

    Every generated function, registry entry and facade method is named after the operation id. A repeated id
    keeps its first operation (in document order) and the others get ``_2``, ``_3``...; a missing one becomes
    e.g. ``GetUsersKey`` for ``GET /Users({Id})``.
    """
    report = RuleReport()
    taken = {op["operationId"] for _, _, op in iter_operations(doc) if isinstance(op.get("operationId"), str)}
    seen: set[str] = set()
    for path, method, op in iter_operations(doc):
        op_id = op.get("operationId")
        if isinstance(op_id, str) and op_id and op_id not in seen:
            seen.add(op_id)
            continue
        base = op_id if isinstance(op_id, str) and op_id else _id_from_route(method, path)
        candidate, n = base, 2
        while candidate in seen or (candidate != op_id and candidate in taken):
            candidate, n = f"{base}_{n}", n + 1
        op["operationId"] = candidate
        seen.add(candidate)
        report.touch(candidate)
    return report


def _id_from_route(method: str, path: str) -> str:
    words = [method.capitalize()]
    for segment in path.strip("/").split("/"):
        head, _, args = segment.partition("(")
        words += [w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", head.split(".")[-1]) if w]
        if args.strip(")"):
            words.append(
                "Key" if "=" not in args else "By" + "".join(a.split("=")[0].capitalize() for a in args.split(","))
            )
    return "".join(words) or method.capitalize()


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
                    report.touch(op_name(path, method, op))
    return report


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


def _class_key(name: str) -> str:
    """Names openapi-python-client turns into the same class name compare equal here (case and punctuation)."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def inline_title_clashes(doc: Document) -> RuleReport:
    """Inline schemas whose title names a class twice: drop the title so the model is named after its operation.

    openapi-python-client names an inline model after its title; two different inline schemas titled alike
    ("Collection of String" in several functions), or one titled like a component, stop the run with
    "duplicate models". Without the title the model is ``<Operation>Response200`` or similar, unique.
    """
    report = RuleReport()
    owners: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for owner, schema in _inline_schemas(doc):
        title = schema.get("title")
        if isinstance(title, str):
            owners.setdefault(_class_key(title), []).append((owner, schema))
    components = {_class_key(str(name)) for name in (doc.get("components") or {}).get("schemas") or {}}
    for key, found in owners.items():
        if len(found) < 2 and key not in components:
            continue
        for owner, schema in found:
            del schema["title"]
            report.touch(owner)
    return report


def _inline_schemas(doc: Document) -> list[tuple[str, dict[str, Any]]]:
    """``(operation or component, schema)`` for every inline schema that is not a component schema."""
    found: list[tuple[str, dict[str, Any]]] = []

    def add(owner: str, item: object) -> None:
        if not isinstance(item, dict) or "$ref" in item:
            return
        for media in (item.get("content") or {}).values():
            if isinstance(media, dict):
                found.extend((owner, node) for node in walk_schemas(media.get("schema")))
        found.extend((owner, node) for node in walk_schemas(item.get("schema")))

    for path, method, op in iter_operations(doc):
        owner = op_name(path, method, op)
        add(owner, op.get("requestBody"))
        for response in (op.get("responses") or {}).values():
            add(owner, response)
        for param in op.get("parameters") or []:
            add(owner, param)
    for kind in ("responses", "requestBodies"):
        for name, item in ((doc.get("components") or {}).get(kind) or {}).items():
            add(f"{kind}/{name}", item)
    return found
