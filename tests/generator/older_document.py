"""A small synthetic XAPI document in the older style (OpenAPI 3.0.1, Microsoft.OpenApi.OData 1.0.x).

Built by hand from the shapes older 3CX documents use for things current ones spell differently: collections
as plain objects titled "Collection of X" (five report functions sharing one title), a shared response
component with such a body, a shared request body with a titled schema, quoted string literals in path
templates, an alternate key beside a function for the same lookup, ``number`` with integer formats for counts
and ids, ``anyOf`` nullable references, primitive collections sharing a title, an operation without an id and
an id used twice, ``$select``/``$orderby``/``$expand`` as enums, a ``$count`` segment answered in text/plain.
No 3CX document is copied.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OPERATIONS", "older_document"]

S = "#/components/schemas/"


def _path(name: str, kind: str = "string", *, nullable: bool = False, fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if fmt:
        schema["format"] = fmt
    if nullable:
        schema["nullable"] = True
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": {"description": "Success", "content": {"application/json": {"schema": schema}}},
        "default": {"$ref": "#/components/responses/error"},
    }


def _collection(item: dict[str, Any], title: str | None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {"value": {"type": "array", "items": item}, **extra}}
    return {"title": title, **schema} if title else schema


def _op(
    tag: str, op_id: str | None, *params: dict[str, Any], responses: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    op: dict[str, Any] = {"tags": [tag], "summary": f"{op_id or 'untitled'} operation", "responses": responses}
    if op_id:
        op["operationId"] = op_id
    if params:
        op["parameters"] = list(params)
    op.update(extra)
    return op


def _listed(name: str, values: list[str]) -> dict[str, Any]:
    """``$select``/``$orderby``/``$expand`` as older documents declare them: an enum of the entity's values."""
    items = {"type": "string", "enum": values}
    return {
        "name": name,
        "in": "query",
        "explode": False,
        "schema": {"uniqueItems": True, "type": "array", "items": items},
    }


def _report(op_id: str, *params: dict[str, Any]) -> dict[str, Any]:
    item = {"$ref": S + "Pbx.TimeReportData"}
    return {"get": _op("ReportTime", op_id, *params, responses=_ok(_collection(item, "Collection of TimeReportData")))}


def older_document() -> dict[str, Any]:
    """The document; a fresh copy each call (the pipeline normalises in place)."""
    user = {"$ref": S + "Pbx.User"}
    period = _path("periodFrom", fmt="date-time")
    queue = _path("queueDnStr", nullable=True)
    return {
        "openapi": "3.0.1",
        "info": {
            "title": "XAPI",
            "version": "1.0.0",
            "x-ms-generated-by": {"toolName": "Microsoft.OpenApi.OData", "toolVersion": "1.0.11.0"},
        },
        "servers": [{"url": "/xapi/v1"}],
        "paths": {
            "/Users": {
                "get": _op(
                    "Users",
                    "ListUser",
                    {"$ref": "#/components/parameters/top"},
                    {"$ref": "#/components/parameters/skip"},
                    {"$ref": "#/components/parameters/count"},
                    _listed("$select", ["Id", "Number", "FirstName"]),
                    _listed("$orderby", ["Id", "Id desc", "Number", "Number desc"]),
                    _listed("$expand", ["*", "Group"]),
                    responses=_ok(
                        _collection(
                            user, "Collection of User", **{"@odata.count": {"type": "number", "format": "int64"}}
                        )
                    ),
                ),
                "post": _op(
                    "Users",
                    "CreateUser",
                    requestBody={"required": True, "content": {"application/json": {"schema": user}}},
                    responses=_ok(user),
                ),
            },
            "/Users({Id})": {
                "parameters": [_path("Id", "number", fmt="int32")],
                "get": _op("Users", "GetUser", responses=_ok(user)),
                "delete": _op("Users", None, responses={"204": {"description": "Success"}}),
            },
            "/Users(Number='{Number}')": {
                "get": _op(
                    "Users",
                    "GetUserByNumber",
                    _path("Number", nullable=True),
                    responses=_ok({"anyOf": [user], "nullable": True}),
                )
            },
            "/Users/Pbx.GetByNumber(number='{number}')": {
                "get": _op("Users", "GetByNumber", _path("number", nullable=True), responses=_ok(user))
            },
            "/Users/Pbx.GetNames()": {
                "get": _op("Users", "GetNames", responses=_ok(_collection({"type": "string"}, "Collection of String")))
            },
            "/Users/Pbx.GetEmails()": {
                "get": _op("Users", "GetEmails", responses=_ok(_collection({"type": "string"}, "Collection of String")))
            },
            "/Users/Pbx.BulkUpdate": {
                "post": _op(
                    "Users",
                    "BulkUpdate",
                    requestBody={
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "Ids": {"type": "array", "items": {"type": "number", "format": "int32"}}
                                    },
                                }
                            }
                        }
                    },
                    responses={"204": {"description": "Success"}},
                )
            },
            "/ReportTime/Pbx.GetTimeReportData(periodFrom={periodFrom})": _report("GetTimeReportData", period),
            "/ReportTime/Pbx.GetTimeReportDataByQueue(queueDnStr='{queueDnStr}',periodFrom={periodFrom})": _report(
                "GetTimeReportDataByQueue", queue, period
            ),
            "/ReportTime/Pbx.GetTimeReportDataByGroup(groupNumber='{groupNumber}')": _report(
                "GetTimeReportDataByGroup", _path("groupNumber", nullable=True)
            ),
            "/ReportTime/Pbx.GetTimeReportDataByAgent(agentDn='{agentDn}')": _report(
                "GetTimeReportDataByAgent", _path("agentDn")
            ),
            "/ReportTime/Pbx.GetTimeReportDataByDay(day={day})": _report("GetTimeReportData", _path("day", "integer")),
            "/Users/$count": {
                "get": _op(
                    "Users",
                    "GetCountUsers",
                    {"$ref": "#/components/parameters/search"},
                    responses={"200": {"$ref": "#/components/responses/ODataCountResponse"}},
                )
            },
            "/Users/Pbx.BulkDelete": {
                "post": _op(
                    "Users",
                    "BulkDeleteUsers",
                    requestBody={"$ref": "#/components/requestBodies/BulkIdsRequestBody"},
                    responses={"204": {"description": "Success"}},
                )
            },
            "/Groups/Pbx.BulkDelete": {
                "post": _op(
                    "Groups",
                    "BulkDeleteGroups",
                    requestBody={"$ref": "#/components/requestBodies/BulkIdsRequestBody"},
                    responses={"204": {"description": "Success"}},
                )
            },
            "/Groups": {
                "get": _op("Groups", "ListGroup", responses={"200": {"$ref": "#/components/responses/GroupCollection"}})
            },
            "/Groups/Pbx.Find(name='{name}')": {
                "get": _op(
                    "Groups",
                    "FindGroups",
                    _path("name"),
                    responses={"200": {"$ref": "#/components/responses/GroupCollection"}},
                )
            },
        },
        "components": {
            "schemas": {
                "Pbx.User": {
                    "title": "User",
                    "type": "object",
                    "properties": {
                        "Id": {"type": "number", "format": "int32"},
                        "Number": {"type": "string", "nullable": True},
                        "FirstName": {"type": "string", "nullable": True},
                        "Group": {"anyOf": [{"$ref": S + "Pbx.Group"}], "nullable": True},
                        "State": {"anyOf": [{"$ref": S + "Pbx.UserState"}], "nullable": True},
                    },
                },
                "Pbx.Group": {
                    "title": "Group",
                    "type": "object",
                    "properties": {"Id": {"type": "integer", "format": "int32"}, "Name": {"type": "string"}},
                },
                "Pbx.UserState": {"title": "UserState", "type": "string", "enum": ["Available", "Away"]},
                "Pbx.TimeReportData": {
                    "title": "TimeReportData",
                    "type": "object",
                    "properties": {
                        "Calls": {"type": "number", "format": "int64"},
                        "Ratio": {"type": "number", "format": "double"},
                        "Agent": {"type": "string", "nullable": True},
                    },
                },
                "ODataCountResponse": {"type": "integer", "format": "int32"},
                "ODataErrors.ODataError": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        }
                    },
                },
            },
            "responses": {
                "error": {
                    "description": "error",
                    "content": {"application/json": {"schema": {"$ref": S + "ODataErrors.ODataError"}}},
                },
                "ODataCountResponse": {
                    "description": "The count of the resource",
                    "content": {"text/plain": {"schema": {"$ref": S + "ODataCountResponse"}}},
                },
                "GroupCollection": {
                    "description": "Retrieved collection",
                    "content": {
                        "application/json": {"schema": _collection({"$ref": S + "Pbx.Group"}, "Collection of Group")}
                    },
                },
            },
            "requestBodies": {
                "BulkIdsRequestBody": {
                    "description": "Action parameters",
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "title": "BulkIds",
                                "type": "object",
                                "properties": {
                                    "Ids": {"type": "array", "items": {"type": "integer", "format": "int32"}}
                                },
                            }
                        }
                    },
                }
            },
            "parameters": {
                "top": {"name": "$top", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                "skip": {"name": "$skip", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                "count": {"name": "$count", "in": "query", "schema": {"type": "boolean"}},
                "search": {"name": "$search", "in": "query", "schema": {"type": "string"}},
            },
        },
    }


OPERATIONS = 19
"""How many operations ``older_document()`` declares."""
