"""The operation registry: every operation of the generated client, as data (``registry.json``).

The generator writes ``registry.json`` beside the generated package; it is a derived output, not the call
path (resource methods call their endpoint modules directly). The test server, the contract suite and the
command line read it: each record names the operation's endpoint module and SDK method, its HTTP method and
path template, its parameters in document order (location, OData role, literal type, nullability, Python
name), the OData query options it takes, and its body and response types.
"""

from __future__ import annotations

import importlib.resources
import json
from functools import cache
from typing import Any, Literal, TypedDict

__all__ = [
    "BodyRecord",
    "OperationRecord",
    "ParameterRecord",
    "ResponseRecord",
    "document",
    "operation",
    "operations",
]

GENERATED_PACKAGE = "threecx_xapi_client"


class ParameterRecord(TypedDict, total=False):
    """One parameter, in document order: ``location`` is ``path``, ``query`` or ``header``."""

    name: str
    python_name: str
    location: str
    required: bool
    order: int
    type: str
    kind: str  # key, alternate-key, function, odata-option, query, header
    nullable: bool
    literal: str  # path parameters: string, int, bool, datetime, uuid
    default: Any


class BodyRecord(TypedDict):
    """The request body: an entity (``body=``) or action parameters (keyword arguments)."""

    kind: Literal["entity", "parameters"]
    content_type: str
    required: bool
    model: str | None
    module: str | None
    properties: list[dict[str, Any]]
    schema: dict[str, Any]  # the body's schema, resolved
    declared_schema: dict[str, Any]  # as the operation declares it: {"ref": "User"} for an entity


class ResponseRecord(TypedDict):
    status: list[int]
    model: str | None
    module: str | None
    collection_item: str | None
    item_model: str | None
    item_module: str | None
    file: bool
    returns: str  # the Python type parse() declares: "User", "RemoteAccessStatus | File", "None"


class OperationRecord(TypedDict):
    """One operation: ``module`` is ``threecx_xapi_client.api.<resource>.<method>``."""

    operation_id: str
    tag: str
    resource: str  # the attribute on XAPI: pbx.<resource>
    method: str  # the HTTP method
    path: str
    module: str
    function: str  # the SDK method: pbx.<resource>.<function>(...)
    summary: str
    parameters: list[ParameterRecord]
    odata_options: list[str]
    row_key: list[str]  # the properties identifying a row of a paged collection (SegmentId, Id); [] if none
    body: BodyRecord | None
    response: ResponseRecord


@cache
def _load() -> dict[str, Any]:
    text = importlib.resources.files(GENERATED_PACKAGE).joinpath("registry.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def document() -> dict[str, Any]:
    """The document the client was generated from: ``sha256``, ``openapi``, ``xapi_version``."""
    info: dict[str, Any] = _load()["document"]
    return info


def operations() -> list[OperationRecord]:
    """Every operation record, sorted by tag and operation id."""
    records: list[OperationRecord] = _load()["operations"]
    return records


@cache
def _by_id() -> dict[str, OperationRecord]:
    return {record["operation_id"]: record for record in operations()}


def operation(operation_id: str) -> OperationRecord:
    """One operation by its ``operationId`` (as the document spells it, typos included)."""
    try:
        return _by_id()[operation_id]
    except KeyError:
        raise KeyError(f"no operation {operation_id!r} in this client") from None
