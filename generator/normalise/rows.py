"""Rules for rows: which properties identify a row of a paged collection, for exports to de-duplicate on."""

from __future__ import annotations

import re
from typing import Any

from .document import SCHEMAS, Document, RuleReport, iter_operations, op_name, resolve

__all__ = ["ROW_KEYS", "row_keys"]

# Report rows whose item schema is no entity of the document (no /Set({key}) path answers it), by schema name:
# the property that names one row of that report. Call-log and call-history rows are call segments, the inbound
# and outbound call reports one row per CDR, chat reports one per message or chat.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "CallLogData": ("SegmentId",),
    "CallHistoryView": ("SegmentId",),
    "InboundCall": ("CdrId",),
    "OutboundCall": ("CdrId",),
    "ChatMessagesHistoryView": ("MessageId",),
    "AbandonedChatsStatistics": ("ChatId",),
}

_ENTITY_PATH = re.compile(r"^/([A-Za-z_]\w*)\(\{([A-Za-z_]\w*)\}\)$")
_PAGING = {"$top", "$skip"}


def _json_schema(doc: Document, op: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of the operation's first 2xx JSON answer, resolved (None when it has none)."""
    for code, response in (op.get("responses") or {}).items():
        if not str(code).startswith("2") or not isinstance(response, dict):
            continue
        for media in (resolve(doc, response).get("content") or {}).values():
            schema = media.get("schema") if isinstance(media, dict) else None
            if isinstance(schema, dict):
                return schema
    return None


def _item_name(doc: Document, schema: dict[str, Any]) -> str | None:
    """The item schema's name of a collection answer (``value: [$ref Item]``)."""
    schema = resolve(doc, schema)
    for part in [schema, *(schema.get("allOf") or [])]:
        value = (resolve(doc, part).get("properties") or {}).get("value")
        if isinstance(value, dict) and value.get("type") == "array":
            ref = (value.get("items") or {}).get("$ref")
            return str(ref).removeprefix(SCHEMAS) if isinstance(ref, str) else None
    return None


def _entity_keys(doc: Document) -> dict[str, str]:
    """Item schema name -> its key, from the entity paths ``/Users({Id})`` whose GET answers that schema."""
    keys: dict[str, str] = {}
    for path, method, op in iter_operations(doc):
        match = _ENTITY_PATH.match(path)
        schema = _json_schema(doc, op) if match and method == "get" else None
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if match and isinstance(ref, str) and ref.startswith(SCHEMAS):
            keys.setdefault(ref.removeprefix(SCHEMAS), match.group(2))
    return keys


def row_keys(doc: Document) -> RuleReport:
    """Row keys: name the properties that identify a row of each paged collection (``x-threecx-row-key``).

    An export de-duplicates rows on them (neighbouring windows share their boundary, ``$skip`` paging can show
    a row twice). The document declares keys only for entities, by their paths (``/Users({Id})``): a paged
    operation answering an entity's items takes that key. Report rows are no entities; their key comes from
    :data:`ROW_KEYS` (``SegmentId`` for the call log), else an ``Id`` property the item has. Aggregate report
    rows (statistics per extension or queue) have none: they are not de-duplicated. The registry lists the key
    per operation as ``row_key``.
    """
    report = RuleReport()
    entity_keys = _entity_keys(doc)
    schemas = (doc.get("components") or {}).get("schemas") or {}
    for path, method, op in iter_operations(doc):
        if method != "get":
            continue
        options = {resolve(doc, p).get("name") for p in op.get("parameters") or [] if isinstance(p, dict)}
        schema = _json_schema(doc, op)
        item = _item_name(doc, schema) if schema is not None and options >= _PAGING else None
        if item is None:
            continue
        properties = (resolve(doc, schemas.get(item) or {}).get("properties")) or {}
        key: tuple[str, ...] = ()
        if item in entity_keys:
            key = (entity_keys[item],)
        elif item in ROW_KEYS:
            key = ROW_KEYS[item]
        elif "Id" in properties:
            key = ("Id",)
        if key and op.get("x-threecx-row-key") != list(key):
            op["x-threecx-row-key"] = list(key)
            report.touch(op_name(path, method, op))
    return report
