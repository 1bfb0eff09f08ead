"""Tests for generator.normalise: every rule on a tiny hand-written document, and on the real XAPI documents.

The real-document tests count what each rule should touch with their own small loops over the raw document,
so a rule that silently stops matching (or starts matching too much) shows up as a count mismatch.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.normalise import (
    RULES,
    Rule,
    RuleReport,
    collection_annotations,
    component_titles,
    file_responses,
    iter_operations,
    normalise,
    nullable_path_params,
    odata_path_literals,
    operation_parameters,
    path_param_defaults,
    request_body_titles,
    resolve,
    row_keys,
    schema_namespace,
    secret_fields,
    shared_collection_responses,
)
from generator.yaml12 import load_yaml

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec"
SCHEMAS = "#/components/schemas/"
BASE_REF = {"$ref": SCHEMAS + "BaseCollectionPaginationCountResponse"}
METHODS = ("get", "put", "post", "patch", "delete")


# --------------------------------------------------------------------------------------------------- builders


def document(
    paths: dict[str, Any] | None = None, schemas: dict[str, Any] | None = None, **components: Any
) -> dict[str, Any]:
    return {
        "openapi": "3.0.4",
        "info": {"title": "XAPI", "version": "1.0.0"},
        "paths": paths or {},
        "components": {"schemas": schemas or {}, **components},
    }


def path_param(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def query_param(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema}


def operation(op_id: str | None, *parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"responses": {"204": {"description": "done"}}}
    if op_id is not None:
        op["operationId"] = op_id
    if parameters:
        op["parameters"] = list(parameters)
    op.update(extra)
    return op


def json_response(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}, "required": True}


def inline_collection(item: str, title: str | None = None) -> dict[str, Any]:
    """The shape 3CX inlines in every function that returns a collection."""
    schema: dict[str, Any] = {
        "type": "object",
        "allOf": [
            dict(BASE_REF),
            {"type": "object", "properties": {"value": {"type": "array", "items": {"$ref": SCHEMAS + item}}}},
        ],
    }
    if title is not None:
        schema["title"] = title
    return schema


def minimal_document() -> dict[str, Any]:
    """A document none of the rules has anything to do in: no path params, no Pbx., no titles, no collections."""
    user_ref = {"$ref": SCHEMAS + "User"}
    return document(
        {
            "/Users": {
                "get": operation("ListUsers", query_param("$top", type="integer"), responses=json_response(user_ref)),
                "post": operation("CreateUser", requestBody=json_body(user_ref)),
            },
            "/Users/Pbx.Reset()": {"post": operation("ResetUsers")},
        },
        {
            "User": {"type": "object", "properties": {"Id": {"type": "integer", "format": "int32"}}},
            "ODataCountResponse": {"type": "integer", "format": "int32"},
        },
    )


def params_of(doc: dict[str, Any], path: str, method: str = "get") -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = doc["paths"][path][method]["parameters"]
    return params


# ---------------------------------------------------------------------------------------------- the registry of rules


def test_rules_are_registered_in_pipeline_order() -> None:
    assert [rule.name for rule in RULES] == [
        "operation ids",
        "operation parameters",
        "integer numbers",
        "nullable references",
        "quoted path literals",
        "nullable path params",
        "path param defaults",
        "odata path literals",
        "query option values",
        "plain collection responses",
        "shared response components",
        "shared request bodies",
        "collection annotations",
        "file responses",
        "request body titles",
        "shared collection responses",
        "schema namespace",
        "component titles",
        "secret fields",
        "inline title clashes",
        "row keys",
    ]
    assert len({rule.apply for rule in RULES}) == len(RULES)
    assert all(rule.doc for rule in RULES), "every rule needs a one-line description"


def test_rule_summary_line() -> None:
    rule = Rule("nullable path params", "operations", nullable_path_params)
    assert rule.summary(RuleReport(count=3, where={"A", "B"})) == "nullable path params: 3 in 2 operations"
    assert rule.doc.startswith("Nullable path parameters:")


def test_normalise_applies_every_rule_in_order() -> None:
    doc = document(
        {
            "/Users/Pbx.GetByNumber(number={number})": {
                "get": operation("GetByNumber", path_param("number", type="string", nullable=True))
            }
        },
        {"Pbx.User": {"title": "User", "type": "object"}},
    )
    results = normalise(doc)
    assert [rule for rule, _ in results] == list(RULES)
    counts = {rule.name: report.count for rule, report in results}
    assert counts == {
        "operation ids": 0,
        "operation parameters": 0,
        "quoted path literals": 0,
        "integer numbers": 0,
        "nullable references": 0,
        "plain collection responses": 0,
        "shared response components": 0,
        "inline title clashes": 0,
        "query option values": 0,
        "shared request bodies": 0,
        "nullable path params": 1,
        "path param defaults": 0,
        "odata path literals": 1,
        "collection annotations": 0,
        "file responses": 0,
        "request body titles": 0,
        "shared collection responses": 0,
        "schema namespace": 1,
        "component titles": 1,
        "secret fields": 0,
        "row keys": 0,
    }
    assert doc["components"]["schemas"] == {"User": {"type": "object"}}


# --------------------------------------------------------------------------------------------------- one test per rule


def test_nullable_path_params() -> None:
    number_path = "/Users/Pbx.GetByNumber(number={number})"
    doc = document(
        {
            number_path: {
                "get": operation(
                    "GetByNumber",
                    path_param("number", type="string", nullable=True),
                    query_param("$filter", type="string", nullable=True),  # not a path parameter: untouched
                )
            },
            "/Users({Id})": {"get": operation("GetUser", path_param("Id", type="integer", format="int32"))},
            "/X/Pbx.F(a={a},b={b})": {
                "get": operation(
                    None,  # no operationId: reported as "<method> <path>"
                    path_param("a", type="string", nullable=True),
                    path_param("b", type="string", format="date-time", nullable=True),
                )
            },
        }
    )
    before = copy.deepcopy(doc)
    report = nullable_path_params(doc)

    assert params_of(doc, number_path) == [
        {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}, "x-threecx-nullable": True},
        {"name": "$filter", "in": "query", "schema": {"type": "string", "nullable": True}},
    ]
    assert params_of(doc, "/X/Pbx.F(a={a},b={b})") == [
        {"name": "a", "in": "path", "required": True, "schema": {"type": "string"}, "x-threecx-nullable": True},
        {
            "name": "b",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "date-time"},
            "x-threecx-nullable": True,
        },
    ]
    assert doc["paths"]["/Users({Id})"] == before["paths"]["/Users({Id})"]
    assert report.count == 3
    assert report.where == {"GetByNumber", "get /X/Pbx.F(a={a},b={b})"}


def test_path_param_defaults() -> None:
    path = "/ReportCallLogData/Pbx.GetCallLogData(periodFrom={periodFrom},hidePcalls={hidePcalls})"
    doc = document(
        {
            path: {
                "get": operation(
                    "GetCallLogData",
                    path_param("periodFrom", type="string", format="date-time"),
                    path_param("hidePcalls", type="boolean", default=False),
                    query_param("$top", type="integer", default=10),  # a query default stays where it is
                )
            },
            "/Queues/Pbx.Stats(waitInterval={waitInterval})": {
                "get": operation("Stats", path_param("waitInterval", type="string", nullable=True, default="0:00:20"))
            },
        }
    )
    report = path_param_defaults(doc)

    assert params_of(doc, path) == [
        {"name": "periodFrom", "in": "path", "required": True, "schema": {"type": "string", "format": "date-time"}},
        {
            "name": "hidePcalls",
            "in": "path",
            "required": True,
            "schema": {"type": "boolean"},
            "x-threecx-default": False,
        },
        {"name": "$top", "in": "query", "schema": {"type": "integer", "default": 10}},
    ]
    assert params_of(doc, "/Queues/Pbx.Stats(waitInterval={waitInterval})") == [
        {
            "name": "waitInterval",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "nullable": True},
            "x-threecx-default": "0:00:20",
        }
    ]
    assert (report.count, report.where) == (2, {"GetCallLogData", "Stats"})


def test_odata_path_literals_classifies_roles_and_literals() -> None:
    doc = document(
        {
            "/Users({Id})": {"get": operation("GetUser", path_param("Id", type="integer", format="int32"))},
            "/Users(Number={Number})": {"get": operation("GetUserByNumber", path_param("Number", type="string"))},
            "/X/Pbx.F(a={a},b={b})": {
                "get": operation(
                    "F", path_param("a", type="string", format="date-time"), path_param("b", type="boolean")
                )
            },
            "/Users/Pbx.GetByNumber(number={number})": {
                "get": operation("GetByNumber", path_param("number", type="string"))
            },
            "/Sessions({Id})/Items/{Item}": {
                "delete": operation(
                    "DeleteItem",
                    path_param("Id", **{"$ref": SCHEMAS + "Guid"}),  # the literal kind follows a $ref
                    path_param("Item", type="integer", format="int64"),
                    query_param("force", type="boolean"),
                )
            },
        },
        {"Guid": {"type": "string", "format": "uuid"}},
    )
    report = odata_path_literals(doc)

    def annotated(name: str, role: str, literal: str, **schema: Any) -> dict[str, Any]:
        return {**path_param(name, **schema), "x-threecx-role": role, "x-threecx-literal": literal}

    assert params_of(doc, "/Users({Id})") == [annotated("Id", "key", "int", type="integer", format="int32")]
    assert params_of(doc, "/Users(Number={Number})") == [annotated("Number", "alternate-key", "string", type="string")]
    assert params_of(doc, "/X/Pbx.F(a={a},b={b})") == [
        annotated("a", "function", "datetime", type="string", format="date-time"),
        annotated("b", "function", "bool", type="boolean"),
    ]
    assert params_of(doc, "/Users/Pbx.GetByNumber(number={number})") == [
        annotated("number", "function", "string", type="string")
    ]
    assert params_of(doc, "/Sessions({Id})/Items/{Item}", "delete") == [
        annotated("Id", "key", "uuid", **{"$ref": SCHEMAS + "Guid"}),
        annotated("Item", "segment", "int", type="integer", format="int64"),
        query_param("force", type="boolean"),
    ]
    assert doc["components"]["schemas"] == {"Guid": {"type": "string", "format": "uuid"}}
    assert report.count == 7  # one per path parameter
    assert report.where == {"GetUser", "GetUserByNumber", "F", "GetByNumber", "DeleteItem"}


@pytest.mark.parametrize(
    "schema",
    [{"type": "object"}, {"type": "number", "format": "double"}, {"type": "array", "items": {"type": "string"}}],
    ids=lambda schema: schema["type"],
)
def test_odata_path_literals_refuses_unknown_types(schema: dict[str, Any]) -> None:
    doc = document({"/Things({Thing})": {"get": operation("GetThing", path_param("Thing", **schema))}})
    with pytest.raises(ValueError, match=rf"'type': '{schema['type']}'.*no OData literal form"):
        odata_path_literals(doc)


def test_odata_path_literals_shared_parameter_keeps_each_operations_role() -> None:
    shared = {"$ref": "#/components/parameters/Id"}
    doc = document(
        {
            "/Users({Id})": {"get": operation("GetUser", shared)},
            "/Users/Pbx.Find(Id={Id})": {"get": operation("FindUser", shared)},
        },
        parameters={"Id": path_param("Id", type="integer", format="int32")},
    )
    assert operation_parameters(doc).count == 2  # each operation gets its own copy of the shared parameter
    report = odata_path_literals(doc)
    roles = [resolve(doc, params_of(doc, path)[0])["x-threecx-role"] for path in doc["paths"]]
    assert roles == ["key", "function"]
    assert report.count == 2
    assert doc["components"]["parameters"]["Id"] == path_param("Id", type="integer", format="int32")


def test_path_item_level_parameters_are_normalised() -> None:
    doc = document(
        {
            "/Users(Number={Number})": {
                "parameters": [path_param("Number", type="string", nullable=True)],
                "get": operation("GetUserByNumber"),
            }
        }
    )
    assert operation_parameters(doc).count == 1
    assert "parameters" not in doc["paths"]["/Users(Number={Number})"]
    assert nullable_path_params(doc).count == 1
    assert odata_path_literals(doc).count == 1
    assert doc["paths"]["/Users(Number={Number})"]["get"]["parameters"] == [
        {
            **path_param("Number", type="string"),
            "x-threecx-nullable": True,
            "x-threecx-role": "alternate-key",
            "x-threecx-literal": "string",
        }
    ]


def test_collection_annotations() -> None:
    count_prop = {"type": "integer", "format": "int64", "nullable": True}
    doc = document(
        schemas={
            "BaseCollectionPaginationCountResponse": {"type": "object", "properties": {"@odata.count": count_prop}},
            "Partial": {
                "type": "object",
                "properties": {"@odata.count": count_prop, "@odata.context": {"type": "string"}},
            },
            "Pbx.User": {"type": "object", "properties": {"Id": {"type": "integer"}}},
            "Pbx.Alias": {"$ref": SCHEMAS + "Pbx.User"},
        }
    )
    before = copy.deepcopy(doc)
    report = collection_annotations(doc)

    declared = {"type": "string", "nullable": True}
    schemas = doc["components"]["schemas"]
    assert schemas["BaseCollectionPaginationCountResponse"] == {
        "type": "object",
        "properties": {"@odata.count": count_prop, "@odata.context": declared, "@odata.nextLink": declared},
    }
    assert schemas["Partial"] == {
        "type": "object",
        "properties": {"@odata.count": count_prop, "@odata.context": {"type": "string"}, "@odata.nextLink": declared},
    }
    for name in ("Pbx.User", "Pbx.Alias"):
        assert schemas[name] == before["components"]["schemas"][name]
    assert (report.count, report.where) == (3, {"BaseCollectionPaginationCountResponse", "Partial"})


def test_file_responses() -> None:
    doc = document(
        {
            "/Recordings({Id})/Pbx.DownloadRecording()": {"get": operation("DownloadRecording")},
            "/Users/Pbx.ExportExtensions()": {
                "get": operation("ExportExtensions"),
                "post": operation("ExportExtensionsPost"),  # only GETs answer with a file
            },
            "/Exporters": {"get": operation("Exporters")},  # "Export" is not followed by a capital
            "/Links/Pbx.GetDownloadLink()": {"get": operation("GetDownloadLink")},
            "/Download": {"get": operation("Download")},
        }
    )
    before = copy.deepcopy(doc)
    report = file_responses(doc)

    for path, method in [
        ("/Recordings({Id})/Pbx.DownloadRecording()", "get"),
        ("/Users/Pbx.ExportExtensions()", "get"),
    ]:
        assert doc["paths"][path][method] == {**before["paths"][path][method], "x-threecx-file-response": True}
    unmarked = [
        ("/Users/Pbx.ExportExtensions()", "post"),
        ("/Exporters", "get"),
        ("/Links/Pbx.GetDownloadLink()", "get"),
        ("/Download", "get"),
    ]
    for path, method in unmarked:
        assert doc["paths"][path][method] == before["paths"][path][method]
    assert (report.count, report.where) == (2, {"DownloadRecording", "ExportExtensions"})


def test_request_body_titles() -> None:
    inline = {"type": "object", "properties": {"Ids": {"type": "array", "items": {"type": "integer"}}}}
    doc = document(
        {
            "/Users/Pbx.BulkDelete": {"post": operation("BulkDelete", requestBody=json_body(dict(inline)))},
            "/Users/Pbx.Titled": {
                "post": operation("Titled", requestBody=json_body({**inline, "title": "RequestBodyOfUsersTitled"}))
            },
            "/Users/Pbx.Named": {"post": operation("Named", requestBody=json_body({**inline, "title": "NamedBody"}))},
            "/Users": {"post": operation("CreateUser", requestBody=json_body({"$ref": SCHEMAS + "User"}))},
            "/Users({Id})": {"patch": operation("UpdateUser", requestBody={"$ref": "#/components/requestBodies/Ref"})},
            "/Users/Pbx.Lines": {"post": operation("Lines", requestBody=json_body({"type": "array", "items": {}}))},
        },
        {"User": {"type": "object"}},
        requestBodies={"Ref": json_body({"type": "object", "properties": {"a": {"type": "string"}}})},
    )
    before = copy.deepcopy(doc)
    report = request_body_titles(doc)

    def body_schema(path: str, method: str = "post") -> dict[str, Any]:
        schema: dict[str, Any] = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        return schema

    assert body_schema("/Users/Pbx.BulkDelete") == {**inline, "title": "BulkDeleteBody"}
    assert body_schema("/Users/Pbx.Titled") == {**inline, "title": "TitledBody"}
    assert body_schema("/Users/Pbx.Named") == {**inline, "title": "NamedBody"}
    for path in ("/Users", "/Users({Id})", "/Users/Pbx.Lines"):
        assert doc["paths"][path] == before["paths"][path]
    assert doc["components"] == before["components"]
    assert (report.count, report.where) == (2, {"BulkDelete", "Titled"})


def test_shared_collection_responses_reuses_or_creates_components() -> None:
    queue_object = {"type": "object", "properties": {"value": {"type": "array", "items": {"type": "string"}}}}
    not_a_collection = inline_collection("Pbx.User")
    not_a_collection["allOf"][1]["properties"]["@odata.extra"] = {"type": "string"}
    doc = document(
        {
            "/Users/Pbx.Find()": {
                "get": operation(
                    "FindUsers", responses=json_response(inline_collection("Pbx.User", "Collection of User"))
                )
            },
            "/Groups/Pbx.A()": {"get": operation("GroupsA", responses=json_response(inline_collection("Pbx.Group")))},
            "/Groups/Pbx.B()": {
                "get": operation("GroupsB", responses=json_response(inline_collection("Pbx.Group", "Other title")))
            },
            "/Queues/Pbx.Find()": {
                "get": operation("FindQueues", responses=json_response(inline_collection("Pbx.Queue")))
            },
            "/Users/Pbx.Odd()": {"get": operation("OddUsers", responses=json_response(not_a_collection))},
            "/Users": {"get": operation("ListUsers", responses={"200": {"$ref": "#/components/responses/Users"}})},
        },
        {
            "BaseCollectionPaginationCountResponse": {
                "type": "object",
                "properties": {"@odata.count": {"type": "integer"}},
            },
            "Pbx.User": {"type": "object"},
            "Pbx.Group": {"type": "object"},
            "Pbx.Queue": {"type": "object"},
            "Pbx.UserCollectionResponse": inline_collection("Pbx.User", "Collection of User"),
            "Pbx.QueueCollectionResponse": queue_object,  # same name, different shape: must not be reused
        },
        responses={"Users": json_response(inline_collection("Pbx.User"))["200"]},
    )
    before = copy.deepcopy(doc)
    report = shared_collection_responses(doc)

    def response_schema(path: str) -> dict[str, Any]:
        schema: dict[str, Any] = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        return schema

    # an existing identical component is reused, nothing new is added for it
    assert response_schema("/Users/Pbx.Find()") == {"$ref": SCHEMAS + "Pbx.UserCollectionResponse"}
    # a missing one is created from the first inline schema, and the next operation reuses it
    assert response_schema("/Groups/Pbx.A()") == {"$ref": SCHEMAS + "Pbx.GroupCollectionResponse"}
    assert response_schema("/Groups/Pbx.B()") == {"$ref": SCHEMAS + "Pbx.GroupCollectionResponse"}
    assert doc["components"]["schemas"] == {
        **before["components"]["schemas"],
        "Pbx.GroupCollectionResponse": inline_collection("Pbx.Group"),
    }
    # a name collision with a differently shaped component, and a non-collection, stay inline
    for path in ("/Queues/Pbx.Find()", "/Users/Pbx.Odd()", "/Users"):
        assert doc["paths"][path] == before["paths"][path]
    assert doc["components"]["responses"] == before["components"]["responses"]
    assert (report.count, report.where) == (3, {"FindUsers", "GroupsA", "GroupsB"})


def test_schema_namespace_strips_prefix_and_rewrites_refs() -> None:
    def ref(name: str) -> dict[str, str]:
        return {"$ref": SCHEMAS + name}

    doc = document(
        {
            "/Users": {
                "get": operation("ListUsers", responses=json_response(ref("Pbx.User"))),
                "post": operation("CreateGroup", requestBody=json_body(ref("Pbx.Group"))),
            }
        },
        {
            "Pbx.User": {
                "type": "object",
                "properties": {"Groups": {"type": "array", "items": ref("Pbx.Group")}, "Manager": ref("Pbx.User")},
            },
            "Pbx.Group": {"type": "object", "properties": {"Owner": ref("Pbx.User")}},
            "Group": {"type": "string"},  # `Pbx.Group` would collide with it: keep the long name
            "Pbx.Admin": {"allOf": [ref("Pbx.User"), {"type": "object"}]},
            "ODataCountResponse": {"type": "integer"},
        },
        responses={"error": json_response(ref("Pbx.User"))["200"]},
    )
    report = schema_namespace(doc)

    schemas = doc["components"]["schemas"]
    assert list(schemas) == ["User", "Pbx.Group", "Group", "Admin", "ODataCountResponse"]  # order kept
    assert schemas == {
        "User": {
            "type": "object",
            "properties": {"Groups": {"type": "array", "items": ref("Pbx.Group")}, "Manager": ref("User")},
        },
        "Pbx.Group": {"type": "object", "properties": {"Owner": ref("User")}},
        "Group": {"type": "string"},
        "Admin": {"allOf": [ref("User"), {"type": "object"}]},
        "ODataCountResponse": {"type": "integer"},
    }
    assert doc["paths"]["/Users"]["get"]["responses"] == json_response(ref("User"))
    assert doc["paths"]["/Users"]["post"]["requestBody"] == json_body(ref("Pbx.Group"))
    assert doc["components"]["responses"]["error"] == json_response(ref("User"))["200"]
    assert (report.count, report.where) == (2, {"Pbx.User", "Pbx.Admin"})


def test_schema_namespace_does_not_rename_on_collision() -> None:
    doc = document(
        {"/Users": {"get": operation("ListUsers", responses=json_response({"$ref": SCHEMAS + "Pbx.User"}))}},
        {"Pbx.User": {"type": "object"}, "User": {"type": "object", "properties": {"x": {"type": "string"}}}},
    )
    before = copy.deepcopy(doc)
    report = schema_namespace(doc)
    assert doc == before
    assert (report.count, report.where) == (0, set())


def test_component_titles() -> None:
    doc = document(
        {
            "/Users/Pbx.Bulk": {
                "post": operation("Bulk", requestBody=json_body({"title": "BulkBody", "type": "object"}))
            }
        },
        {
            "UserCollectionResponse": {
                "title": "Collection of User",
                "type": "object",
                "properties": {"Note": {"title": "kept: not a component", "type": "string"}},
            },
            "User": {"type": "object"},
            "Pbx.Group": {"title": "Group", "type": "object"},
        },
    )
    before = copy.deepcopy(doc)
    report = component_titles(doc)
    assert doc["components"]["schemas"] == {
        "UserCollectionResponse": {
            "type": "object",
            "properties": {"Note": {"title": "kept: not a component", "type": "string"}},
        },
        "User": {"type": "object"},
        "Pbx.Group": {"type": "object"},
    }
    assert doc["paths"] == before["paths"]
    assert (report.count, report.where) == (2, {"UserCollectionResponse", "Pbx.Group"})


def test_secret_fields_marks_secret_strings_and_lists_them_per_schema() -> None:
    string = {"type": "string", "nullable": True}
    concealed = {"allOf": [{"$ref": SCHEMAS + "ConcealedPassword"}], "nullable": True}
    doc = document(
        {
            "/Users/Pbx.SetPin": {
                "post": operation(
                    "SetPin",
                    requestBody=json_body({"type": "object", "properties": {"Pin": dict(string), "Comment": string}}),
                )
            }
        },
        {
            "Pbx.DN": {"type": "object", "properties": {"Number": string, "AuthPassword": dict(string)}},
            "User": {
                "allOf": [
                    {"$ref": SCHEMAS + "Pbx.DN"},
                    {
                        "type": "object",
                        "properties": {
                            "VMPIN": dict(string),
                            "AccessPassword": dict(string),
                            "AuthID": dict(string),  # a user name, not a secret
                            "PinProtected": {"type": "boolean"},
                            "PinProtectTimeout": {"type": "integer"},
                        },
                    },
                ]
            },
            "RegenerateOptions": {"type": "object", "properties": {"DeskphonePassword": {"type": "boolean"}}},
            "Trunk": {"type": "object", "properties": {"AuthPassword": concealed, "Secret": dict(string)}},
            "ConcealedPassword": {"type": "object", "properties": {"Concealed": {"type": "boolean"}, "Value": string}},
            "Pbx.ConcealedDataFile": {"type": "object", "properties": {"Name": string, "Contents": dict(string)}},
            "Page": {"type": "object", "properties": {"NextPageToken": string, "Key": {"type": "string"}}},
            "RefreshToken": {"type": "object", "properties": {"Token": {"type": "string"}}},
            "Settings": {"type": "object", "properties": {"ApiKey": dict(string), "LicenseKey": dict(string)}},
        },
    )
    report = secret_fields(doc)
    schemas = doc["components"]["schemas"]
    listed = {name: schema.get("x-threecx-secret-fields") for name, schema in schemas.items()}
    assert listed == {
        "Pbx.DN": ["AuthPassword"],
        "User": ["AccessPassword", "AuthPassword", "VMPIN"],  # inherited through allOf included
        "RegenerateOptions": None,  # booleans that ask to regenerate a password are not secrets
        "Trunk": ["Secret"],  # the concealed object's own Value is the secret, listed there
        "ConcealedPassword": ["Value"],
        "Pbx.ConcealedDataFile": ["Contents"],
        "Page": None,
        "RefreshToken": ["Token"],
        "Settings": ["ApiKey", "LicenseKey"],
    }
    own = schemas["User"]["allOf"][1]["properties"]
    assert own["VMPIN"] == {"type": "string", "nullable": True, "x-threecx-secret": True}
    assert "x-threecx-secret" not in own["AuthID"] and "x-threecx-secret" not in own["PinProtected"]
    assert "x-threecx-secret" not in schemas["Trunk"]["properties"]["AuthPassword"]
    body = doc["paths"]["/Users/Pbx.SetPin"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["Pin"]["x-threecx-secret"] is True
    assert body["x-threecx-secret-fields"] == ["Pin"]
    assert body["properties"]["Comment"] == string
    assert report.count == 10
    assert report.where == {
        "inline",
        "Pbx.DN",
        "User",
        "Trunk",
        "ConcealedPassword",
        "Pbx.ConcealedDataFile",
        "RefreshToken",
        "Settings",
    }


def test_row_keys_from_entity_paths_the_table_or_an_id() -> None:
    paging = (query_param("$top", type="integer"), query_param("$skip", type="integer"))

    def paged(op_id: str, item: str, *params: dict[str, Any]) -> dict[str, Any]:
        return {"get": operation(op_id, *params, responses=json_response(inline_collection(item)))}

    def props(*names: str) -> dict[str, Any]:
        return {"type": "object", "properties": {name: {"type": "string"} for name in names}}

    call_log = "/ReportCallLogData/Pbx.GetCallLogData(periodFrom={periodFrom})"
    backup = {"$ref": SCHEMAS + "Backup"}
    doc = document(
        {
            "/Backups": paged("ListBackups", "Backup", *paging),
            "/Backups({FileName})": {"get": operation("GetBackup", responses=json_response(backup))},
            call_log: paged("GetCallLogData", "CallLogData", path_param("periodFrom", type="string"), *paging),
            "/ReportAuditLog/Pbx.GetAuditLogData()": paged("GetAuditLogData", "AuditLog", *paging),
            "/ReportStats/Pbx.GetStats()": paged("GetStats", "Stats", *paging),
            "/Backups/Pbx.Unpaged()": paged("Unpaged", "Backup", paging[0]),
        },
        {
            "Backup": props("FileName", "Id"),
            "CallLogData": props("CdrId", "SegmentId", "Id"),
            "AuditLog": props("Id", "Action"),
            "Stats": props("Dn", "Calls"),
            "BaseCollectionPaginationCountResponse": {"type": "object", "properties": {"@odata.count": {}}},
        },
    )
    before = copy.deepcopy(doc)
    report = row_keys(doc)
    keys = {
        op["operationId"]: op.get("x-threecx-row-key")
        for _, _, op in iter_operations(doc)
        if op.get("x-threecx-row-key") is not None
    }
    assert keys == {"ListBackups": ["FileName"], "GetCallLogData": ["SegmentId"], "GetAuditLogData": ["Id"]}
    assert (report.count, report.where) == (3, {"ListBackups", "GetCallLogData", "GetAuditLogData"})
    for path, item in before["paths"].items():  # nothing else changed
        for method, op in item.items():
            assert {k: v for k, v in doc["paths"][path][method].items() if k != "x-threecx-row-key"} == op
    annotated = copy.deepcopy(doc)
    assert row_keys(doc).count == 0 and doc == annotated  # annotated once: a second run has nothing to do


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_rule_is_a_no_op_when_it_has_nothing_to_do(rule: Rule) -> None:
    doc = minimal_document()
    before = copy.deepcopy(doc)
    report = rule.apply(doc)
    assert (report.count, report.where) == (0, set())
    assert doc == before


# --------------------------------------------------------------------------------------------------- real documents


RealDocument = tuple[str, dict[str, Any], dict[str, Any], dict[str, RuleReport]]


@pytest.fixture(scope="module", params=["20.0.10", "20.0.9"])
def real(request: pytest.FixtureRequest) -> RealDocument:
    """(version, raw document, normalised document, reports by rule name)."""
    spec = SPEC_DIR / f"xapi-{request.param}.yaml"
    if not spec.is_file():
        pytest.skip(f"{spec} not found")
    raw = load_yaml(spec.read_bytes())
    doc = copy.deepcopy(raw)
    reports = {rule.name: report for rule, report in normalise(doc)}
    return request.param, raw, doc, reports


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, item[m]) for path, item in doc["paths"].items() for m in METHODS if m in item]


def _name(path: str, method: str, op: dict[str, Any]) -> str:
    return op.get("operationId") or f"{method} {path}"


def _role(path: str, name: str) -> str:
    """Where ``{name}`` sits in ``path``: ``X({name})`` key, ``X(n={name})`` alternate key or ``Ns.F(n={name})``."""
    for segment in path.split("/"):
        token = "{" + name + "}"
        if token not in segment:
            continue
        if "(" not in segment:
            return "segment"
        head, args = segment.split("(", 1)
        if args == token + ")":
            return "key"
        return "function" if "." in head else "alternate-key"
    raise AssertionError(f"{name} not in {path}")


LITERALS = {
    ("integer", "int32"): "int",
    ("integer", "int64"): "int",
    ("integer", None): "int",
    ("boolean", None): "bool",
    ("string", "date-time"): "datetime",
    ("string", "uuid"): "uuid",
    ("string", None): "string",
}


def independent_counts(raw: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(count, distinct operations or schemas) each rule should report, counted straight from the raw document."""
    tally: dict[str, tuple[int, set[str]]] = {rule.name: (0, set()) for rule in RULES}

    def touch(rule: str, where: str) -> None:
        count, seen = tally[rule]
        tally[rule] = (count + 1, seen | {where})

    for path, method, op in _operations(raw):
        name = _name(path, method, op)
        for param in op.get("parameters", []):
            param = _resolve(raw, param)
            if param["in"] != "path":
                continue
            if param["schema"].get("nullable") is True:
                touch("nullable path params", name)
            if "default" in param["schema"]:
                touch("path param defaults", name)
            touch("odata path literals", name)
        op_id = op.get("operationId", "")
        for prefix in ("Download", "Export"):
            if method == "get" and op_id.startswith(prefix) and op_id[len(prefix) : len(prefix) + 1].isupper():
                touch("file responses", name)
        body = op.get("requestBody")
        if body and "$ref" not in body:
            for media in body["content"].values():
                schema = media["schema"]
                if "$ref" not in schema and schema.get("type") == "object" and schema.get("title") != op_id + "Body":
                    touch("request body titles", name)

    schemas = raw["components"]["schemas"]
    for name, schema in schemas.items():
        props = schema.get("properties", {})
        if "@odata.count" in props:
            for annotation in ("@odata.context", "@odata.nextLink"):
                if annotation not in props:
                    touch("collection annotations", name)

    def collection_item(schema: dict[str, Any]) -> str | None:
        parts = schema.get("allOf", [])
        if len(parts) != 2 or parts[0] != BASE_REF or list(parts[1].get("properties", {})) != ["value"]:
            return None
        value = parts[1]["properties"]["value"]
        return value["items"].get("$ref") if value.get("type") == "array" else None

    created: dict[str, dict[str, Any]] = {}
    for path, method, op in _operations(raw):
        for response in op.get("responses", {}).values():
            if "$ref" in response:
                continue
            for media in response.get("content", {}).values():
                item = collection_item(media.get("schema", {}))
                if item is None:
                    continue
                component = item.removeprefix(SCHEMAS) + "CollectionResponse"
                existing = schemas.get(component) or created.get(component)
                if existing is None:
                    created[component] = media["schema"]
                elif collection_item(existing) != item:
                    continue
                touch("shared collection responses", _name(path, method, op))

    _count_row_keys(raw, touch)
    _count_older_shapes(raw, touch)
    all_schemas = {**schemas, **created}
    secret_names = ("Password", "Secret", "PIN", "Pin", "PinNumber", "ApiKey", "APIKey", "PrivateKey", "LicenseKey")
    concealed = {"ConcealedPassword": "Value", "ConcealedDataFile": "Contents"}
    for name in all_schemas:
        if name.startswith("Pbx.") and name.removeprefix("Pbx.") not in all_schemas:
            touch("schema namespace", name)
        if "title" in all_schemas[name]:
            touch("component titles", name)
        short = name.removeprefix("Pbx.") if name.removeprefix("Pbx.") not in all_schemas else name
        parts = [all_schemas[name], *[p for p in all_schemas[name].get("allOf", []) if "$ref" not in p]]
        for part in parts:
            for prop_name, prop in part.get("properties", {}).items():
                if prop.get("type") != "string" or prop.get("format") in ("uuid", "date-time", "date"):
                    continue
                if prop_name.endswith(secret_names) or prop_name == "Token" or concealed.get(short) == prop_name:
                    touch("secret fields", short)
    return {rule: (count, len(where)) for rule, (count, where) in tally.items()}


def _count_row_keys(raw: dict[str, Any], touch: Callable[[str, str], None]) -> None:
    """Paged GETs (``$top`` and ``$skip``) answering a collection whose item has a key: an entity path's, one
    of the rule's table, or an ``Id`` property."""
    from generator.normalise import ROW_KEYS

    def item_of(op: dict[str, Any]) -> str | None:
        response = _resolve(raw, op.get("responses", {}).get("200", {}))
        schema = _resolve(raw, response.get("content", {}).get("application/json", {}).get("schema", {}))
        for part in [schema, *schema.get("allOf", [])]:
            items = _resolve(raw, part).get("properties", {}).get("value", {}).get("items", {})
            if "$ref" in items:
                return str(items["$ref"]).removeprefix(SCHEMAS).removeprefix("Pbx.")
        return None

    entity_items = set()
    for path, method, op in _operations(raw):
        if method == "get" and re.fullmatch(r"/\w+\(\{\w+\}\)", path):
            schema = _resolve(raw, op["responses"]["200"])["content"]["application/json"]["schema"]
            entity_items.add(str(schema.get("$ref", "")).removeprefix(SCHEMAS).removeprefix("Pbx."))
    schemas = raw["components"]["schemas"]
    for path, method, op in _operations(raw):
        names = {_resolve(raw, p).get("name") for p in op.get("parameters", [])}
        item = item_of(op) if method == "get" and {"$top", "$skip"} <= names else None
        if item is None:
            continue
        properties = (schemas.get(item) or schemas.get("Pbx." + item) or {}).get("properties", {})
        if item in entity_items or item in ROW_KEYS or "Id" in properties:
            touch("row keys", _name(path, method, op))


INTEGER_FORMATS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def _nodes(node: Any) -> list[dict[str, Any]]:
    """Every dict below ``node``, ``$ref`` siblings included (a plain recursive walk)."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _nodes(value)
    elif isinstance(node, list):
        for value in node:
            out += _nodes(value)
    return out


def _count_older_shapes(raw: dict[str, Any], touch: Callable[[str, str], None]) -> None:
    """What the rules for older documents should touch in a raw document."""
    owners: list[tuple[str, Any]] = [(str(name), schema) for name, schema in raw["components"]["schemas"].items()]
    for kind in ("responses", "requestBodies", "parameters"):
        owners += [(f"{kind}/{name}", item) for name, item in raw["components"].get(kind, {}).items()]
    seen_ids: set[str] = set()
    for path, method, op in _operations(raw):
        name = _name(path, method, op)
        owners.append((name, {k: v for k, v in op.items() if k in ("parameters", "requestBody", "responses")}))
        if not op.get("operationId") or op["operationId"] in seen_ids:
            touch("operation ids", name)
        seen_ids.add(op.get("operationId", ""))
        for _ in re.findall(r"'\{[^{}']+\}'", path):
            touch("quoted path literals", name)
        for response in op.get("responses", {}).values():
            for media in response.get("content", {}).values():
                props = media.get("schema", {}).get("properties", {})
                if "allOf" not in media["schema"] and props.get("value", {}).get("type") == "array":
                    touch("plain collection responses", name)
    for owner, tree in owners:
        for node in _nodes(tree):
            if node.get("type") == "number" and node.get("format") in INTEGER_FORMATS:
                touch("integer numbers", owner)
            for key in ("anyOf", "oneOf"):
                if len(node.get(key, [])) == 1 and "$ref" in node[key][0]:
                    touch("nullable references", owner)


def test_real_document_rule_counts_match_independent_counts(real: RealDocument) -> None:
    version, raw, _, reports = real
    expected = independent_counts(raw)
    actual = {name: (report.count, len(report.where)) for name, report in reports.items()}
    assert actual == expected
    if version == "20.0.9":
        assert expected["integer numbers"] == (299, 107)
    if version == "20.0.10":
        assert expected == {
            "operation ids": (0, 0),
            "quoted path literals": (0, 0),
            "integer numbers": (0, 0),
            "nullable references": (0, 0),
            "plain collection responses": (0, 0),
            "shared response components": (0, 0),
            "inline title clashes": (0, 0),
            "query option values": (0, 0),
            "shared request bodies": (0, 0),
            "operation parameters": (0, 0),
            "nullable path params": (152, 77),
            "path param defaults": (8, 8),
            "odata path literals": (493, 235),
            "collection annotations": (2, 1),
            "file responses": (42, 42),
            "request body titles": (103, 103),
            "shared collection responses": (93, 93),
            "schema namespace": (606, 606),
            "component titles": (581, 581),
            "secret fields": (20, 16),
            "row keys": (84, 84),
        }


def test_real_document_path_params_annotated(real: RealDocument) -> None:
    _, raw, doc, _ = real
    raw_ops = {(path, method): op for path, method, op in _operations(raw)}
    seen = 0
    for path, method, op in _operations(doc):
        raw_params = [_resolve(raw, p) for p in raw_ops[path, method].get("parameters", [])]
        by_name = {p["name"]: p for p in raw_params}
        for param in op.get("parameters", []):
            param = _resolve(doc, param)
            if param["in"] != "path":
                continue
            seen += 1
            schema = by_name[param["name"]]["schema"]
            assert param["x-threecx-role"] == _role(path, param["name"]), (path, param["name"])
            assert param["x-threecx-literal"] == LITERALS[schema.get("type"), schema.get("format")]
            assert param.get("x-threecx-nullable", False) is bool(schema.get("nullable"))
            assert "nullable" not in param["schema"] and "default" not in param["schema"]
            if "default" in schema:
                assert param["x-threecx-default"] == schema["default"]
    assert seen > 400


def test_real_document_role_totals(real: RealDocument) -> None:
    version, _, doc, _ = real
    roles: dict[str, int] = {}
    for _, _, op in iter_operations(doc):
        for param in op.get("parameters", []):
            param = resolve(doc, param)
            if param["in"] == "path":
                roles[param["x-threecx-role"]] = roles.get(param["x-threecx-role"], 0) + 1
    if version == "20.0.10":
        assert roles == {"function": 346, "key": 137, "alternate-key": 10}
    assert set(roles) <= {"key", "alternate-key", "function", "segment"}


def test_real_document_refs_all_resolve_and_namespace_is_gone(real: RealDocument) -> None:
    _, _, doc, _ = real
    refs: list[str] = []
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert len(refs) > 1000
    for ref in set(refs):
        _resolve(doc, {"$ref": ref})  # KeyError on a dangling reference
    schema_refs = [ref for ref in refs if ref.startswith(SCHEMAS)]
    assert not [ref for ref in schema_refs if re.match(re.escape(SCHEMAS) + r"Pbx\.", ref)]
    assert not any(name.startswith("Pbx.") for name in doc["components"]["schemas"])
    assert not any("title" in schema for schema in doc["components"]["schemas"].values())


def test_real_document_normalise_is_idempotent(real: RealDocument) -> None:
    _, _, doc, _ = real
    again = copy.deepcopy(doc)
    normalise(again)
    assert again == doc
