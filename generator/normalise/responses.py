"""Rules for bodies: collections in one shape and one model per item type, shared responses and request
bodies, downloads."""

from __future__ import annotations

import re
from typing import Any

from .document import SCHEMAS, Document, RuleReport, iter_operations, op_name

__all__ = [
    "BASE_COLLECTION",
    "collection_annotations",
    "file_responses",
    "plain_collection_responses",
    "shared_collection_responses",
    "shared_request_bodies",
    "shared_response_components",
]

BASE_COLLECTION = "BaseCollectionPaginationCountResponse"
_BASE_SCHEMA: dict[str, Any] = {
    "title": "Base collection pagination and count responses",
    "type": "object",
    "properties": {"@odata.count": {"type": "integer", "format": "int64", "nullable": True}},
}


def plain_collection_responses(doc: Document) -> RuleReport:
    """Collections declared as a plain object: give them the ``allOf`` shape of current documents.

    Older documents answer a collection with ``{title: Collection of X, type: object, properties: {value:
    [X]}}`` (sometimes with ``@odata.count`` or ``@odata.nextLink`` beside ``value``, sometimes without a
    title); current ones with ``allOf: [BaseCollectionPaginationCountResponse, {value: [X]}]``. One shape means
    one model per item type (the next rules share them) and ``@odata.count`` on every page, as on a current PBX.
    The base schema is added when the document has none.
    """
    report = RuleReport()
    schemas = doc.setdefault("components", {}).get("schemas")
    for where, media in _response_media(doc):
        schema = media.get("schema")
        value = _plain_collection_value(schema)
        if value is None:
            continue
        assert isinstance(schema, dict)
        if not isinstance(schemas, dict):
            schemas = doc["components"]["schemas"] = {}
        schemas.setdefault(BASE_COLLECTION, dict(_BASE_SCHEMA, properties=dict(_BASE_SCHEMA["properties"])))
        canonical: dict[str, Any] = {"title": schema["title"]} if "title" in schema else {}
        canonical["type"] = "object"
        canonical["allOf"] = [
            {"$ref": SCHEMAS + BASE_COLLECTION},
            {"type": "object", "properties": {"value": value}},
        ]
        media["schema"] = canonical
        report.touch(where)
    return report


def _response_media(doc: Document) -> list[tuple[str, dict[str, Any]]]:
    """``(operation or response component, media object)`` for every inline response body in the document."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path, method, op in iter_operations(doc):
        for response in (op.get("responses") or {}).values():
            if isinstance(response, dict) and "$ref" not in response:
                for media in (response.get("content") or {}).values():
                    if isinstance(media, dict):
                        found.append((op_name(path, method, op), media))
    for name, response in ((doc.get("components") or {}).get("responses") or {}).items():
        if isinstance(response, dict) and "$ref" not in response:
            for media in (response.get("content") or {}).values():
                if isinstance(media, dict):
                    found.append((str(name), media))
    return found


def _plain_collection_value(schema: object) -> dict[str, Any] | None:
    """The ``value`` property of ``{type: object, properties: {value: array, @odata.*...}}``, else None."""
    if (
        not isinstance(schema, dict)
        or "$ref" in schema
        or "allOf" in schema
        or schema.get("type", "object") != "object"
    ):
        return None
    props = schema.get("properties")
    if not isinstance(props, dict) or not all(name == "value" or name.startswith("@odata.") for name in props):
        return None
    value = props.get("value")
    return value if isinstance(value, dict) and value.get("type") == "array" else None


def shared_response_components(doc: Document) -> RuleReport:
    """Shared responses with a titled inline body: move the body to ``components/schemas``.

    A response in ``components/responses`` that several operations use is parsed once per operation; with a
    titled inline body that is one model per operation, all named after the title, and openapi-python-client
    stops with "duplicate models". The schema is named ``<Item>CollectionResponse`` for a collection (as the
    next rules name them), else after the response. Untitled bodies (named after each operation), responses
    used once and names another schema already has are left as they are.
    """
    return _hoist_shared_bodies(doc, "responses")


def shared_request_bodies(doc: Document) -> RuleReport:
    """Shared request bodies with a titled inline schema: move the schema to ``components/schemas``.

    The same trap as shared responses, on the way in: a body in ``components/requestBodies`` that several
    operations use, with a titled inline schema, would be one model per operation under one name. It becomes
    one component schema named after the request body; bodies used once or untitled are left as they are.
    """
    return _hoist_shared_bodies(doc, "requestBodies")


def _hoist_shared_bodies(doc: Document, kind: str) -> RuleReport:
    report = RuleReport()
    components = doc.get("components") or {}
    shared = components.get(kind)
    if not isinstance(shared, dict):
        return report
    uses = _component_uses(doc, kind)
    for name, holder in shared.items():
        if uses.get(str(name), 0) < 2 or not isinstance(holder, dict):
            continue
        for media in (holder.get("content") or {}).values():
            schema = media.get("schema") if isinstance(media, dict) else None
            if not isinstance(schema, dict) or "$ref" in schema or "title" not in schema:
                continue
            if "properties" not in schema and len(schema.get("allOf") or []) < 2:
                continue  # a primitive, or a nullable reference: no model of its own
            item_ref = _inline_collection_item(schema)
            target = item_ref.rsplit("/", 1)[1] + "CollectionResponse" if item_ref else str(name)
            schemas = components.setdefault("schemas", {})
            if schemas.get(target, schema) != schema:
                continue
            schemas[target] = schema
            media["schema"] = {"$ref": SCHEMAS + target}
            report.touch(str(name))
    return report


def _component_uses(doc: Document, kind: str) -> dict[str, int]:
    """How many operations use each ``components/<kind>`` entry (responses or request bodies) by ``$ref``."""
    prefix = f"#/components/{kind}/"
    uses: dict[str, int] = {}
    for _, _, op in iter_operations(doc):
        holders = (op.get("responses") or {}).values() if kind == "responses" else [op.get("requestBody")]
        for holder in holders:
            ref = holder.get("$ref") if isinstance(holder, dict) else None
            if isinstance(ref, str) and ref.startswith(prefix):
                uses[ref[len(prefix) :]] = uses.get(ref[len(prefix) :], 0) + 1
    return uses


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
            report.touch(op_name(path, method, op))
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
                report.touch(op_name(path, method, op))
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
