"""The rules for older XAPI documents (OpenAPI 3.0.1, Microsoft.OpenApi.OData 1.0.x), each on a tiny document.

Every rule here is a no-op on a current document (``test_normalise`` checks that on the real 20.0.10 one); these
tests build the older shapes by hand: quoted path templates, plain collection objects sharing one title,
``number`` for whole numbers, ``anyOf`` nullable references, shared inline responses, missing or repeated ids.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from generator.normalise import (
    NormaliseError,
    inline_title_clashes,
    integer_numbers,
    normalise,
    nullable_references,
    operation_ids,
    plain_collection_responses,
    query_option_values,
    quoted_path_literals,
    shared_request_bodies,
    shared_response_components,
)

S = "#/components/schemas/"
BASE = "BaseCollectionPaginationCountResponse"


def doc_with(paths: dict[str, Any], schemas: dict[str, Any] | None = None, **components: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "XAPI", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": schemas or {}, **components},
    }


def get(op_id: str | None, *params: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"responses": {"204": {"description": "done"}}}
    if op_id is not None:
        op["operationId"] = op_id
    if params:
        op["parameters"] = list(params)
    if schema is not None:
        op["responses"] = {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}
    return {"get": op}


def string_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "nullable": True}}


def plain_collection(item: str, title: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"value": {"type": "array", "items": {"$ref": S + item}}, **(extra or {})},
    }
    return {"title": title, **schema} if title else schema


def response_schema(doc: dict[str, Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


# --------------------------------------------------------------------------------------------------- operation ids


def test_operation_ids_fills_missing_and_numbers_repeats() -> None:
    doc = doc_with(
        {
            "/Users": get("ListUser"),
            "/Users({Id})": get(None),
            "/Users(Number={Number})": get(None),
            "/Users/Pbx.GetByNumber(number={number})": get("ListUser"),
            "/Groups": get("ListUser"),
            "/Groups/Pbx.Find()": get("ListUser_2"),
        }
    )
    report = operation_ids(doc)
    ids = {path: item["get"]["operationId"] for path, item in doc["paths"].items()}
    assert ids == {
        "/Users": "ListUser",  # the first keeps its id
        "/Users({Id})": "GetUsersKey",
        "/Users(Number={Number})": "GetUsersByNumber",
        "/Users/Pbx.GetByNumber(number={number})": "ListUser_3",  # ListUser_2 is taken further down
        "/Groups": "ListUser_4",
        "/Groups/Pbx.Find()": "ListUser_2",
    }
    assert (report.count, report.where) == (4, {"GetUsersKey", "GetUsersByNumber", "ListUser_3", "ListUser_4"})


# --------------------------------------------------------------------------------------------------- quoted literals


def test_quoted_path_literals_unquotes_templates_and_keeps_order() -> None:
    doc = doc_with(
        {
            "/Users": get("ListUser"),
            "/Users(Number='{Number}')": get("GetUserByNumber", string_param("Number")),
            "/Users/Pbx.GetByNumber(number='{number}',kind='{kind}')": get(
                "GetByNumber", string_param("number"), string_param("kind")
            ),
            "/Users('{Id}')": get("GetUserByKey", string_param("Id")),
        }
    )
    report = quoted_path_literals(doc)
    assert list(doc["paths"]) == [
        "/Users",
        "/Users(Number={Number})",
        "/Users/Pbx.GetByNumber(number={number},kind={kind})",
        "/Users({Id})",
    ]
    assert (report.count, report.where) == (4, {"GetUserByNumber", "GetByNumber", "GetUserByKey"})
    normalise(doc)  # the rules that follow classify the unquoted parameters as usual
    roles = {}
    for item in doc["paths"].values():
        for param in item["get"].get("parameters", []):
            roles[param["name"]] = (param["x-threecx-role"], param["x-threecx-literal"])
    assert roles == {
        "Number": ("alternate-key", "string"),
        "number": ("function", "string"),
        "kind": ("function", "string"),
        "Id": ("key", "string"),
    }


def test_quoted_path_literals_refuses_a_path_that_would_collide() -> None:
    doc = doc_with({"/Users(Number='{Number}')": get("A"), "/Users(Number={Number})": get("B")})
    with pytest.raises(NormaliseError, match=r"/Users\(Number='\{Number\}'\).*also declares"):
        quoted_path_literals(doc)


def test_query_option_values_become_plain_strings() -> None:
    def listed(name: str, values: list[str]) -> dict[str, Any]:
        return {"name": name, "in": "query", "schema": {"type": "array", "items": {"type": "string", "enum": values}}}

    shared = listed("$expand", ["*", "Groups"])
    doc = doc_with(
        {
            "/Users": get("ListUser", listed("$select", ["Id", "Name"]), listed("$orderby", ["Id", "Id desc"])),
            "/Groups": get("ListGroup", {"$ref": "#/components/parameters/expand"}),
            "/Peers": get("ListPeer", listed("$filter", ["not", "an option with values"])),
        },
        parameters={"expand": shared},
    )
    report = quoted_path_literals(doc)  # nothing quoted here
    assert report.count == 0
    report = query_option_values(doc)
    select, orderby = doc["paths"]["/Users"]["get"]["parameters"]
    assert select["schema"]["items"] == {"type": "string"} and select["x-threecx-values"] == ["Id", "Name"]
    assert orderby["schema"]["items"] == {"type": "string"} and orderby["x-threecx-values"] == ["Id", "Id desc"]
    expand = doc["components"]["parameters"]["expand"]  # a shared parameter is rewritten where it is declared
    assert expand["schema"]["items"] == {"type": "string"} and expand["x-threecx-values"] == ["*", "Groups"]
    assert "enum" in doc["paths"]["/Peers"]["get"]["parameters"][0]["schema"]["items"]
    assert (report.count, report.where) == (3, {"ListUser", "ListGroup"})


# --------------------------------------------------------------------------------------------------- value types


def test_integer_numbers_retypes_whole_number_formats_everywhere() -> None:
    doc = doc_with(
        {
            "/Reports/Pbx.Get(top={top})": {
                "get": {
                    "operationId": "GetReport",
                    "parameters": [
                        {"name": "top", "in": "path", "required": True, "schema": {"type": "number", "format": "int32"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"n": {"type": "number", "format": "int64"}},
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
        {
            "Base": {
                "type": "object",
                "properties": {"@odata.count": {"type": "number", "format": "int64", "nullable": True}},
            },
            "Stats": {
                "allOf": [
                    {"$ref": S + "Base"},
                    {
                        "type": "object",
                        "properties": {
                            "Ratio": {"type": "number", "format": "double"},
                            "Calls": {"type": "number", "format": "int32"},
                        },
                    },
                ]
            },
            "Money": {"type": "number", "format": "decimal"},
        },
    )
    report = integer_numbers(doc)
    schemas = doc["components"]["schemas"]
    assert schemas["Base"]["properties"]["@odata.count"] == {"type": "integer", "format": "int64", "nullable": True}
    assert schemas["Stats"]["allOf"][1]["properties"] == {
        "Ratio": {"type": "number", "format": "double"},  # a real number stays a number
        "Calls": {"type": "integer", "format": "int32"},
    }
    assert schemas["Money"] == {"type": "number", "format": "decimal"}
    op = doc["paths"]["/Reports/Pbx.Get(top={top})"]["get"]
    assert op["parameters"][0]["schema"] == {"type": "integer", "format": "int32"}
    assert response_schema(doc, "/Reports/Pbx.Get(top={top})")["properties"]["n"]["type"] == "integer"
    assert (report.count, report.where) == (4, {"Base", "Stats", "GetReport"})


def test_nullable_references_become_all_of() -> None:
    user = {"$ref": S + "User"}
    doc = doc_with(
        {"/Users/Pbx.Me()": get("Me", schema={"anyOf": [dict(user)], "nullable": True})},
        {
            "User": {
                "type": "object",
                "properties": {
                    "Group": {"oneOf": [{"$ref": S + "Group"}], "nullable": True},
                    "Either": {"anyOf": [{"$ref": S + "Group"}, {"type": "string"}]},  # a real union stays
                },
            },
            "Group": {"type": "object"},
        },
    )
    report = nullable_references(doc)
    assert response_schema(doc, "/Users/Pbx.Me()") == {"allOf": [user], "nullable": True}
    props = doc["components"]["schemas"]["User"]["properties"]
    assert props["Group"] == {"allOf": [{"$ref": S + "Group"}], "nullable": True}
    assert props["Either"] == {"anyOf": [{"$ref": S + "Group"}, {"type": "string"}]}
    assert (report.count, report.where) == (2, {"Me", "User"})


# --------------------------------------------------------------------------------------------------- responses


def test_plain_collection_responses_take_the_current_shape_and_add_the_base() -> None:
    doc = doc_with(
        {
            "/Users": get("ListUser", schema=plain_collection("User", "Collection of User")),
            "/Reports/Pbx.A()": get("A", schema=plain_collection("TimeReportData", "Collection of TimeReportData")),
            "/Reports/Pbx.B()": get(
                "B",
                schema=plain_collection(
                    "TimeReportData", extra={"@odata.nextLink": {"type": "string"}, "@odata.count": {"type": "integer"}}
                ),
            ),
            "/Reports/Pbx.Size()": get("Size", schema={"type": "object", "properties": {"value": {"type": "integer"}}}),
            "/Users/Pbx.Odd()": get("Odd", schema=plain_collection("User", extra={"Extra": {"type": "string"}})),
        },
        {"User": {"type": "object"}, "TimeReportData": {"type": "object"}},
        responses={
            "Groups": {"description": "ok", "content": {"application/json": {"schema": plain_collection("Group")}}}
        },
    )
    before = copy.deepcopy(doc)
    report = plain_collection_responses(doc)

    def canonical(item: str, title: str | None = None) -> dict[str, Any]:
        value = {"type": "array", "items": {"$ref": S + item}}
        shape = {"type": "object", "allOf": [{"$ref": S + BASE}, {"type": "object", "properties": {"value": value}}]}
        return {"title": title, **shape} if title else shape

    assert response_schema(doc, "/Users") == canonical("User", "Collection of User")
    assert response_schema(doc, "/Reports/Pbx.A()") == canonical("TimeReportData", "Collection of TimeReportData")
    assert response_schema(doc, "/Reports/Pbx.B()") == canonical("TimeReportData")
    assert doc["components"]["responses"]["Groups"]["content"]["application/json"]["schema"] == canonical("Group")
    assert doc["components"]["schemas"][BASE]["properties"] == {
        "@odata.count": {"type": "integer", "format": "int64", "nullable": True}
    }
    for path in ("/Reports/Pbx.Size()", "/Users/Pbx.Odd()"):  # a primitive wrapper, an object with other fields
        assert doc["paths"][path] == before["paths"][path]
    assert (report.count, report.where) == (4, {"ListUser", "A", "B", "Groups"})


def test_plain_collection_responses_keep_an_existing_base() -> None:
    base = {"type": "object", "properties": {"@odata.count": {"type": "integer"}}}
    doc = doc_with({"/Users": get("ListUser", schema=plain_collection("User"))}, {BASE: copy.deepcopy(base)})
    plain_collection_responses(doc)
    assert doc["components"]["schemas"][BASE] == base


def test_shared_response_components_moves_titled_bodies_used_twice() -> None:
    value = {"type": "array", "items": {"$ref": S + "Pbx.Group"}}
    collection = {
        "title": "Collection of Group",
        "type": "object",
        "allOf": [{"$ref": S + BASE}, {"type": "object", "properties": {"value": value}}],
    }
    stats = {"title": "Stats", "type": "object", "properties": {"Calls": {"type": "integer"}}}
    untitled = {"type": "object", "properties": {"value": {"type": "string"}}}

    def uses(name: str) -> dict[str, Any]:
        return {"200": {"$ref": f"#/components/responses/{name}"}}

    def response(schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": "ok", "content": {"application/json": {"schema": copy.deepcopy(schema)}}}

    doc = doc_with(
        {
            "/Groups": {"get": {"operationId": "ListGroup", "responses": uses("GroupCollection")}},
            "/Groups/Pbx.Find()": {"get": {"operationId": "Find", "responses": uses("GroupCollection")}},
            "/Stats/Pbx.A()": {"get": {"operationId": "StatsA", "responses": uses("Stats")}},
            "/Stats/Pbx.B()": {"get": {"operationId": "StatsB", "responses": uses("Stats")}},
            "/Links/Pbx.A()": {"get": {"operationId": "A", "responses": uses("Link")}},
            "/Links/Pbx.B()": {"get": {"operationId": "B", "responses": uses("Link")}},
            "/Once": {"get": {"operationId": "Once", "responses": uses("Once")}},
        },
        responses={
            "GroupCollection": response(collection),
            "Stats": response(stats),
            "Link": response(untitled),
            "Once": response({**stats, "title": "Once"}),
        },
    )
    before = copy.deepcopy(doc)
    report = shared_response_components(doc)

    def body(name: str) -> dict[str, Any]:
        schema: dict[str, Any] = doc["components"]["responses"][name]["content"]["application/json"]["schema"]
        return schema

    assert body("GroupCollection") == {"$ref": S + "Pbx.GroupCollectionResponse"}  # named like every collection
    assert body("Stats") == {"$ref": S + "Stats"}
    assert doc["components"]["schemas"] == {"Pbx.GroupCollectionResponse": collection, "Stats": stats}
    for name in ("Link", "Once"):  # untitled, used once
        assert doc["components"]["responses"][name] == before["components"]["responses"][name]
    assert (report.count, report.where) == (2, {"GroupCollection", "Stats"})


def test_shared_request_bodies_move_titled_schemas_used_twice() -> None:
    titled = {"title": "BulkIds", "type": "object", "properties": {"Ids": {"type": "array"}}}

    def post(op_id: str, body: str) -> dict[str, Any]:
        return {"post": {"operationId": op_id, "requestBody": {"$ref": f"#/components/requestBodies/{body}"}}}

    def body(schema: dict[str, Any]) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": copy.deepcopy(schema)}}}

    doc = doc_with(
        {
            "/Users/Pbx.BulkDelete": post("BulkDeleteUsers", "Bulk"),
            "/Groups/Pbx.BulkDelete": post("BulkDeleteGroups", "Bulk"),
            "/Users/Pbx.Once": post("Once", "Once"),
        },
        requestBodies={"Bulk": body(titled), "Once": body(titled)},
    )
    report = shared_request_bodies(doc)
    bodies = doc["components"]["requestBodies"]
    assert bodies["Bulk"]["content"]["application/json"]["schema"] == {"$ref": S + "Bulk"}
    assert doc["components"]["schemas"] == {"Bulk": titled}
    assert bodies["Once"] == body(titled)  # used once: nothing to share
    assert (report.count, report.where) == (1, {"Bulk"})


# --------------------------------------------------------------------------------------------------- titles


def test_inline_title_clashes_drop_titles_named_twice_or_like_a_component() -> None:
    strings = {"title": "Collection of String", "type": "object", "properties": {"value": {"type": "array"}}}
    doc = doc_with(
        {
            "/Users/Pbx.Names()": get("Names", schema=copy.deepcopy(strings)),
            "/Users/Pbx.Emails()": get("Emails", schema={**copy.deepcopy(strings), "title": "collection-of string"}),
            "/Users/Pbx.Me()": get("Me", schema={"title": "User", "type": "object"}),
            "/Users/Pbx.Own()": get("Own", schema={"title": "Own answer", "type": "object"}),
        },
        {"User": {"type": "object"}},
    )
    report = inline_title_clashes(doc)
    assert "title" not in response_schema(doc, "/Users/Pbx.Names()")
    assert "title" not in response_schema(doc, "/Users/Pbx.Emails()")
    assert "title" not in response_schema(doc, "/Users/Pbx.Me()")
    assert response_schema(doc, "/Users/Pbx.Own()")["title"] == "Own answer"
    assert (report.count, report.where) == (3, {"Names", "Emails", "Me"})
