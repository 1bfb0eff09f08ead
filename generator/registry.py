"""The operation registry: one record per operation, shipped in the package as ``registry.json``.

The facade, the command line and the test server are built on it, so it holds everything needed to call an
operation without reading the OpenAPI document: where it lives in the package, its parameters in document
order with their OData role and literal type, which query options apply, and its body and response types.
It also feeds the endpoint template (``OperationView``), which is where the OData URL code is decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import oapc
from .normalise import Document, iter_operations, resolve
from .schemas import descriptor

__all__ = ["OperationView", "build_operation", "operation_index"]

ODATA_OPTIONS = ("$top", "$skip", "$search", "$filter", "$count", "$select", "$orderby", "$expand")
SEGMENT_FUNCTIONS = {
    "string": "string_segment",
    "int": "int_segment",
    "bool": "bool_segment",
    "datetime": "datetime_segment",
    "uuid": "uuid_segment",
}


@dataclass(frozen=True)
class OperationView:
    """What the endpoint template needs beyond openapi-python-client's ``Endpoint``."""

    path_format: str
    path_arguments: list[tuple[str, str]]  # (format key, Python expression)
    path_signatures: dict[str, str]  # Python name -> "name: type" (nullable ones admit None)
    query_arguments: list[tuple[str, str]]  # (OData option or query name, Python argument)
    return_type: str
    file_response: bool
    statuses_with_body: list[int]  # 2xx statuses whose response the document gives a body
    model_result: bool  # the success body is an object (a model), not a primitive or enum OData wraps in "value"
    record: dict[str, Any]


def operation_index(doc: Document) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Operations of the normalised document by operationId."""
    index: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, method, op in iter_operations(doc):
        op_id = op.get("operationId")
        if not isinstance(op_id, str):
            raise ValueError(f"{method.upper()} {path} has no operationId; the registry needs one")
        if op_id in index:
            raise ValueError(f"operationId {op_id!r} is used twice ({index[op_id][1]} and {path})")
        index[op_id] = (path, method, op)
    return index


def _doc_parameters(doc: Document, op: dict[str, Any]) -> list[dict[str, Any]]:
    return [resolve(doc, p) for p in op.get("parameters") or []]


def _type_name(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "array":
        items = schema.get("items") or {}
        return f"array<{_type_name(items) if isinstance(items, dict) else 'any'}>"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return f"{kind}:{fmt}" if fmt else str(kind or "any")


def _model_of(prop: oapc.Property) -> tuple[str, str] | None:
    """The model class (and module) of a property, looking through a nullable union (``allOf`` + nullable)."""
    return oapc.model_class(prop)


def build_operation(
    *, doc: Document, endpoint: oapc.Endpoint, path: str, method: str, op: dict[str, Any], package: str
) -> OperationView:
    """Combine the normalised document's view of an operation with what openapi-python-client made of it."""
    by_wire = oapc.parameters(endpoint)
    module = f"{package}.api.{oapc.resource(endpoint)}.{oapc.function(endpoint)}"

    parameters: list[dict[str, Any]] = []
    path_arguments: list[tuple[str, str]] = []
    path_signatures: dict[str, str] = {}
    query_arguments: list[tuple[str, str]] = []
    for order, param in enumerate(_doc_parameters(doc, op)):
        wire = param["name"]
        prop = by_wire.get(wire)
        if prop is None:
            raise ValueError(f"{op['operationId']}: parameter {wire!r} was not generated")
        schema = resolve(doc, param.get("schema") or {})
        location = param["in"]
        record: dict[str, Any] = {
            "name": wire,
            "python_name": wire[1:] if wire in ODATA_OPTIONS else oapc.python_name(prop),  # as build() takes it
            "location": location,
            "required": bool(param.get("required", False)),
            "order": order,
            "type": _type_name(schema),
        }
        if location == "path":
            literal = param["x-threecx-literal"]
            nullable = bool(param.get("x-threecx-nullable"))
            record.update(kind=param["x-threecx-role"], literal=literal, nullable=nullable)
            if "x-threecx-default" in param:
                record["default"] = param["x-threecx-default"]
            name = oapc.python_name(prop)
            call = f'odata.{SEGMENT_FUNCTIONS[literal]}({name}, "{name}"'
            call += ", nullable=True)" if nullable else ")"
            path_arguments.append((name, call))
            annotation = oapc.annotation(prop) + (" | None" if nullable else "")
            path_signatures[name] = f"{name}: {annotation}"
        elif location == "query":
            record["kind"] = "odata-option" if wire in ODATA_OPTIONS else "query"
            record["nullable"] = bool(schema.get("nullable"))
            query_arguments.append((wire, oapc.python_name(prop)))
        else:
            record["kind"] = location
            record["nullable"] = bool(schema.get("nullable"))
        parameters.append(record)

    body: dict[str, Any] | None = None
    request_body = oapc.body(endpoint)
    if request_body is not None:
        body_prop, content_type = request_body
        model = _model_of(body_prop)
        body_schema = _body_schema(doc, op)
        body = {
            "kind": "entity" if "$ref" in _body_media_schema(doc, op) else "parameters",
            "content_type": content_type,
            "required": bool(body_prop.required),
            "model": model[0] if model else None,
            "module": f"{package}.models.{model[1]}" if model else None,
            "properties": [
                {
                    "name": name,
                    "python_name": _python_name(body_prop, name),
                    "type": _type_name(resolve(doc, s)),
                    "schema": descriptor(doc, s),
                }
                for name, s in (body_schema.get("properties") or {}).items()
            ],
            "schema": descriptor(doc, body_schema),
            "declared_schema": descriptor(doc, _body_media_schema(doc, op)),
        }

    statuses: list[int] = []
    types: list[str] = []
    response_model: tuple[str, str] | None = None
    response_prop: oapc.Property | None = None
    with_body = _statuses_with_body(doc, op)
    for low, _high, prop in oapc.success_responses(endpoint):
        statuses.append(low)
        if low not in with_body:
            continue
        type_string = oapc.annotation(prop)
        if type_string not in types:
            types.append(type_string)
        response_model = response_model or _model_of(prop)
        response_prop = response_prop or prop
    file_response = bool(op.get("x-threecx-file-response"))
    if file_response:
        types.append("File")
    return_type = " | ".join(types) if types else "None"

    collection_item = _collection_item(doc, op)
    item_model = _item_model(response_prop) if collection_item else None
    record_out: dict[str, Any] = {
        "operation_id": op["operationId"],
        "tag": (op.get("tags") or ["default"])[0],
        "resource": oapc.resource(endpoint),
        "method": method.upper(),
        "path": path,
        "module": module,
        "function": oapc.function(endpoint),
        "summary": op.get("summary") or "",
        "parameters": parameters,
        "odata_options": [p["name"] for p in parameters if p["kind"] == "odata-option"],
        "row_key": list(op.get("x-threecx-row-key") or []),
        "body": body,
        "response": {
            "status": statuses,
            "model": response_model[0] if response_model else None,
            "module": f"{package}.models.{response_model[1]}" if response_model else None,
            "collection_item": collection_item,
            "item_model": item_model[0] if item_model else None,
            "item_module": f"{package}.models.{item_model[1]}" if item_model and item_model[1] else None,
            "file": file_response,
            "returns": return_type,
        },
    }
    return OperationView(
        path_format=oapc.path_template(endpoint),
        path_arguments=path_arguments,
        path_signatures=path_signatures,
        query_arguments=query_arguments,
        return_type=return_type,
        file_response=file_response,
        statuses_with_body=sorted(with_body),
        model_result=response_model is not None,
        record=record_out,
    )


def _statuses_with_body(doc: Document, op: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    for code, response in (op.get("responses") or {}).items():
        if str(code).isdigit() and resolve(doc, response).get("content"):
            found.add(int(code))
    return found


def _python_name(body_prop: oapc.Property, name: str) -> str | None:
    for prop in oapc.fields(body_prop):
        if oapc.wire_name(prop.name) == name:
            return oapc.python_name(prop)
    return None


def _item_model(prop: oapc.Property | None) -> tuple[str, str | None] | None:
    """The item type of a collection response model: a model class and its module, or a plain Python type."""
    return oapc.collection_item(prop)


def _body_media_schema(doc: Document, op: dict[str, Any]) -> dict[str, Any]:
    body = resolve(doc, op.get("requestBody") or {})
    for media in (body.get("content") or {}).values():
        schema = media.get("schema")
        return schema if isinstance(schema, dict) else {}
    return {}


def _body_schema(doc: Document, op: dict[str, Any]) -> dict[str, Any]:
    return resolve(doc, _body_media_schema(doc, op))


def _collection_item(doc: Document, op: dict[str, Any]) -> str | None:
    """The item schema of a collection response (``value: [Item]``), if the operation returns one."""
    for code, response in (op.get("responses") or {}).items():
        if not str(code).startswith("2"):
            continue
        for media in (resolve(doc, response).get("content") or {}).values():
            schema = resolve(doc, media.get("schema") or {})
            for part in [schema, *schema.get("allOf", [])]:
                value = (resolve(doc, part).get("properties") or {}).get("value")
                if isinstance(value, dict) and value.get("type") == "array":
                    items = value.get("items") or {}
                    return str(items["$ref"]).rsplit("/", 1)[-1] if "$ref" in items else _type_name(items)
    return None
