"""Tests for generator.diff: each kind of change and its classification on tiny documents, then the real pair.

The real-document tests recompute which operations and schemas were added, removed and changed with their own
small loops over the raw YAML (structural comparison of the type-relevant keys, not diff.py's type strings), so
a diff that silently stops seeing a kind of change (or starts seeing noise) shows up as a set mismatch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import __main__ as cli
from generator import diff as d
from generator.fetch import FetchedDocument, load, parse_document

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT.parent / "shared" / "spec"
SPEC_9 = SPEC_DIR / "xapi-20.0.9.yaml"
SPEC_10 = SPEC_DIR / "xapi-20.0.10.yaml"
SUMMARY = re.compile(r"operations: \+(\d+) -(\d+) ~(\d+); schemas: \+(\d+) -(\d+) ~(\d+); breaking: (\d+)")
S = "#/components/schemas/"

Doc = dict[str, Any]


def base_doc() -> Doc:
    """Two operations, a shared parameter, a shared response, an allOf model and an enum."""
    return {
        "openapi": "3.0.4",
        "info": {"title": "XAPI", "version": "1.0.0"},
        "paths": {
            "/Users({Id})": {
                "get": {
                    "operationId": "GetUser",
                    "parameters": [
                        {
                            "name": "Id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "format": "int32"},
                        },
                        {"$ref": "#/components/parameters/select"},
                    ],
                    "responses": {
                        "200": {"$ref": "#/components/responses/User"},
                        "default": {"description": "error"},
                    },
                },
                "patch": {
                    "operationId": "UpdateUser",
                    "parameters": [
                        {"name": "Id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int32"}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": S + "Pbx.User"}}},
                    },
                    "responses": {"204": {"description": "Success"}},
                },
            },
            "/Users/Pbx.Find(name={name},limit={limit})": {
                "post": {
                    "operationId": "Find",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "nullable": True},
                        },
                        {"name": "limit", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {"name": "$top", "in": "query", "schema": {"type": "integer"}},
                        {"name": "$skip", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"query": {"type": "string", "nullable": True}},
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"type": "array", "items": {"$ref": S + "Pbx.User"}}}
                            },
                        }
                    },
                }
            },
        },
        "components": {
            "parameters": {
                "select": {
                    "name": "$select",
                    "in": "query",
                    "description": "Select properties",
                    "schema": {"type": "array", "items": {"type": "string"}},
                }
            },
            "responses": {
                "User": {"description": "ok", "content": {"application/json": {"schema": {"$ref": S + "Pbx.User"}}}}
            },
            "schemas": {
                "Pbx.Entity": {"type": "object", "properties": {"Id": {"type": "integer", "format": "int32"}}},
                "Pbx.User": {
                    "allOf": [
                        {"$ref": S + "Pbx.Entity"},
                        {
                            "type": "object",
                            "properties": {
                                "Name": {"type": "string", "nullable": True, "description": "the name"},
                                "Role": {"allOf": [{"$ref": S + "Pbx.Role"}], "nullable": True},
                            },
                        },
                    ]
                },
                "Pbx.Role": {"type": "string", "enum": ["Admin", "User"]},
            },
        },
    }


def changed(edit: Callable[[Doc], object]) -> d.SpecDiff:
    """The diff from the base document to a copy changed by ``edit``."""
    old = base_doc()
    new = copy.deepcopy(old)
    edit(new)
    return d.diff(d.surface(old), d.surface(new))


def changed_back(edit: Callable[[Doc], object]) -> d.SpecDiff:
    """The diff from a copy changed by ``edit`` back to the base document (the opposite direction)."""
    old = base_doc()
    edit(old)
    return d.diff(d.surface(old), d.surface(base_doc()))


def only_change(result: d.SpecDiff) -> tuple[str, d.Change]:
    """The single change in ``result`` (and the operation or schema it belongs to)."""
    items = [(item.name, c) for item in (*result.operations_changed, *result.schemas_changed) for c in item.changes]
    assert len(items) == 1, items
    assert not (result.operations_added or result.operations_removed or result.schemas_added or result.schemas_removed)
    return items[0]


def op(doc: Doc, path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = doc["paths"][path][method]
    return result


FIND = "/Users/Pbx.Find(name={name},limit={limit})"
USER = "/Users({Id})"


# --------------------------------------------------------------------------------------------------- surface


def test_surface_keys_types_and_resolution() -> None:
    surf = d.surface(base_doc())
    assert sorted(surf.operations) == ["Find", "GetUser", "UpdateUser"]
    get = surf.operations["GetUser"]
    assert (get.method, get.path) == ("GET", USER)
    assert [(p.name, p.location, p.type, p.required) for p in get.params] == [
        ("Id", "path", "integer/int32", True),
        ("$select", "query", "array[string]", False),  # through components/parameters
    ]
    assert get.responses == {"200": "Pbx.User"}  # through components/responses; `default` is not a success
    assert surf.operations["UpdateUser"].body == d.Body("Pbx.User", True, {})
    assert surf.operations["UpdateUser"].responses == {"204": "no content"}
    find = surf.operations["Find"]
    assert find.body is not None and find.body.fields == {"query": d.Field("string", True, False)}
    assert find.responses == {"200": "array[Pbx.User]"}
    user = surf.schemas["Pbx.User"]  # raw names: not normalised, the Pbx. prefix stays
    assert user.kind == "object"
    assert user.fields == {
        "Id": d.Field("integer/int32", False, False),  # flattened from the allOf base
        "Name": d.Field("string", True, False),
        "Role": d.Field("Pbx.Role", True, False),
    }
    assert surf.schemas["Pbx.Role"] == d.Schema("Pbx.Role", "enum", {}, ("Admin", "User"))


def test_operation_without_id_is_keyed_by_method_and_path() -> None:
    doc = base_doc()
    del op(doc, USER, "get")["operationId"]
    assert "GET /Users({Id})" in d.surface(doc).operations


def test_path_item_parameters_apply_unless_the_operation_redefines_them() -> None:
    doc = base_doc()
    doc["paths"][USER]["parameters"] = [
        {"name": "Id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "If-Match", "in": "header", "schema": {"type": "string"}},
    ]
    params = d.surface(doc).operations["UpdateUser"].params
    assert [(p.name, p.type) for p in params] == [("Id", "integer/int32"), ("If-Match", "string")]


def test_dangling_ref_is_a_document_error() -> None:
    doc = base_doc()
    op(doc, USER, "get")["parameters"].append({"$ref": "#/components/parameters/missing"})
    with pytest.raises(d.SpecDiffError, match="dangling"):
        d.surface(doc)


def test_identical_and_cosmetic_changes_are_no_change() -> None:
    def cosmetic(doc: Doc) -> None:
        doc["info"]["description"] = "new words"
        op(doc, USER, "get")["summary"] = "Get a user"
        doc["components"]["parameters"]["select"]["description"] = "other"
        doc["components"]["parameters"]["select"]["example"] = ["Id"]
        doc["components"]["schemas"]["Pbx.User"]["allOf"][1]["properties"]["Name"]["maxLength"] = 20
        doc["components"]["schemas"]["Pbx.Role"]["enum"].reverse()  # order of enum values does not matter

    for result in (d.diff(d.surface(base_doc()), d.surface(base_doc())), changed(cosmetic)):
        assert result.empty
        assert result.breaking == 0
        assert result.bump == "patch"
        assert d.summary_line(result) == "operations: +0 -0 ~0; schemas: +0 -0 ~0; breaking: 0"


# --------------------------------------------------------------------------------------------------- operations


def test_operation_added_is_not_breaking() -> None:
    result = changed(lambda doc: doc["paths"].__setitem__("/Ping", {"get": {"operationId": "Ping", "responses": {}}}))
    assert [o.key for o in result.operations_added] == ["Ping"]
    assert result.breaking == 0 and result.bump == "minor"


def test_operation_removed_is_breaking() -> None:
    result = changed(lambda doc: doc["paths"][USER].pop("get"))
    assert [o.key for o in result.operations_removed] == ["GetUser"]
    assert result.breaking == 1 and result.bump == "major"
    assert result.breaking_changes() == ["operation removed: GetUser (GET /Users({Id}))"]


def test_path_changed_is_breaking() -> None:
    def move(doc: Doc) -> None:
        doc["paths"]["/People({Id})"] = {"get": doc["paths"][USER].pop("get")}

    name, change = only_change(changed(move))
    assert (name, change.kind, change.breaking) == ("GetUser", "path changed", True)
    assert change.detail == "/Users({Id}) -> /People({Id})"


def test_method_changed_is_breaking() -> None:
    name, change = only_change(
        changed(lambda doc: doc["paths"][USER].__setitem__("put", doc["paths"][USER].pop("patch")))
    )
    assert (name, change.kind, change.detail, change.breaking) == ("UpdateUser", "method changed", "PATCH -> PUT", True)


@pytest.mark.parametrize(
    ("param", "breaking"),
    [
        ({"name": "$count", "in": "query", "schema": {"type": "boolean"}}, False),
        ({"name": "$count", "in": "query", "required": True, "schema": {"type": "boolean"}}, True),
        ({"name": "If-Match", "in": "header", "schema": {"type": "string"}}, False),
        ({"name": "extra", "in": "path", "required": True, "schema": {"type": "string"}}, True),
    ],
)
def test_parameter_added(param: dict[str, Any], breaking: bool) -> None:
    result = changed(lambda doc: op(doc, FIND, "post")["parameters"].append(param))
    name, change = only_change(result)
    assert (name, change.kind, change.breaking) == ("Find", "parameter added", breaking)
    assert result.bump == ("major" if breaking else "minor")


def test_parameter_removed_is_breaking() -> None:
    name, change = only_change(changed(lambda doc: op(doc, FIND, "post")["parameters"].pop(3)))
    assert (name, change.kind, change.breaking) == ("Find", "parameter removed", True)
    assert change.detail.startswith("$skip (query")


def test_parameter_retyped_is_breaking() -> None:
    def retype(doc: Doc) -> None:
        op(doc, FIND, "post")["parameters"][1]["schema"] = {"type": "integer", "format": "int64"}

    _, change = only_change(changed(retype))
    assert (change.kind, change.detail, change.breaking) == (
        "parameter retyped",
        "limit (path): integer -> integer/int64",
        True,
    )


def test_shared_parameter_retyped_shows_in_the_operation() -> None:
    def retype(doc: Doc) -> None:
        doc["components"]["parameters"]["select"]["schema"] = {"type": "string"}

    name, change = only_change(changed(retype))
    assert (name, change.kind, change.breaking) == ("GetUser", "parameter retyped", True)


def test_path_parameters_reordered_is_breaking() -> None:
    _, change = only_change(changed(lambda doc: op(doc, FIND, "post")["parameters"].reverse()))
    assert (change.kind, change.detail, change.breaking) == (
        "path parameters reordered",
        "name, limit -> limit, name",
        True,
    )


def test_query_parameters_reordered_is_a_change_but_not_breaking() -> None:
    def swap(doc: Doc) -> None:
        params = op(doc, FIND, "post")["parameters"]
        params[2], params[3] = params[3], params[2]

    result = changed(swap)
    _, change = only_change(result)
    assert (change.kind, change.breaking) == ("parameters reordered", False)
    assert result.bump == "minor"


@pytest.mark.parametrize(
    ("index", "edit", "kind", "breaking"),
    [
        (0, lambda p: p["schema"].pop("nullable"), "parameter nullability", True),  # None no longer accepted
        (1, lambda p: p["schema"].__setitem__("nullable", True), "parameter nullability", False),
        (2, lambda p: p.__setitem__("required", True), "parameter required", True),
    ],
)
def test_parameter_nullability_and_requiredness(
    index: int, edit: Callable[[dict[str, Any]], object], kind: str, breaking: bool
) -> None:
    _, change = only_change(changed(lambda doc: edit(op(doc, FIND, "post")["parameters"][index])))
    assert (change.kind, change.breaking) == (kind, breaking)


def test_parameter_made_optional_is_not_breaking() -> None:
    def loosen(doc: Doc) -> None:
        op(doc, FIND, "post")["parameters"][2]["required"] = True

    old = base_doc()
    loosen(old)
    result = d.diff(d.surface(old), d.surface(base_doc()))
    _, change = only_change(result)
    assert (change.kind, change.detail, change.breaking) == ("parameter required", "$top (query) now optional", False)


# --------------------------------------------------------------------------------------------------- bodies, responses


def test_body_added_removed_retyped() -> None:
    optional_body = {"content": {"application/json": {"schema": {"$ref": S + "Pbx.User"}}}}
    _, added = only_change(changed(lambda doc: op(doc, USER, "get").__setitem__("requestBody", optional_body)))
    assert (added.kind, added.breaking) == ("body added", False)
    required_body = {**optional_body, "required": True}
    _, added = only_change(changed(lambda doc: op(doc, USER, "get").__setitem__("requestBody", required_body)))
    assert (added.kind, added.breaking) == ("body added", True)
    _, removed = only_change(changed(lambda doc: op(doc, USER, "patch").pop("requestBody")))
    assert (removed.kind, removed.breaking) == ("body removed", True)

    def retype(doc: Doc) -> None:
        op(doc, USER, "patch")["requestBody"]["content"]["application/json"]["schema"] = {"$ref": S + "Pbx.Entity"}

    _, retyped = only_change(changed(retype))
    assert (retyped.kind, retyped.detail, retyped.breaking) == ("body retyped", "Pbx.User -> Pbx.Entity", True)


def test_body_required_flag() -> None:
    _, looser = only_change(changed(lambda doc: op(doc, USER, "patch")["requestBody"].pop("required")))
    assert (looser.kind, looser.detail, looser.breaking) == ("body required", "now optional", False)
    _, stricter = only_change(changed(lambda doc: op(doc, FIND, "post")["requestBody"].__setitem__("required", True)))
    assert (stricter.kind, stricter.breaking) == ("body required", True)


def _body_schema(doc: Doc) -> dict[str, Any]:
    schema: dict[str, Any] = op(doc, FIND, "post")["requestBody"]["content"]["application/json"]["schema"]
    return schema


@pytest.mark.parametrize(
    ("edit", "kind", "breaking"),
    [
        (lambda s: s["properties"].__setitem__("mode", {"type": "string"}), "body field added", False),
        (
            lambda s: (s["properties"].__setitem__("mode", {"type": "string"}), s.__setitem__("required", ["mode"])),
            "body field added",
            True,
        ),
        (lambda s: s["properties"].pop("query"), "body field removed", True),
        (
            lambda s: s["properties"].__setitem__("query", {"type": "integer", "nullable": True}),
            "body field retyped",
            True,
        ),
        (lambda s: s.__setitem__("required", ["query"]), "body field required", True),
        (lambda s: s["properties"]["query"].pop("nullable"), "body field nullability", True),
    ],
)
def test_inline_body_fields(edit: Callable[[dict[str, Any]], object], kind: str, breaking: bool) -> None:
    name, change = only_change(changed(lambda doc: edit(_body_schema(doc))))
    assert (name, change.kind, change.breaking) == ("Find", kind, breaking)


@pytest.mark.parametrize(
    ("edit", "kind", "breaking"),
    [
        (lambda s: s["properties"]["query"].pop("nullable"), "body field nullability", False),  # now nullable
        (lambda s: s.__setitem__("required", ["query"]), "body field required", False),  # now optional
    ],
)
def test_inline_body_fields_loosened_are_not_breaking(
    edit: Callable[[dict[str, Any]], object], kind: str, breaking: bool
) -> None:
    _, change = only_change(changed_back(lambda doc: edit(_body_schema(doc))))
    assert (change.kind, change.breaking) == (kind, breaking)


def test_body_from_inline_to_reference_is_one_change() -> None:
    def swap(doc: Doc) -> None:
        op(doc, FIND, "post")["requestBody"]["content"]["application/json"]["schema"] = {"$ref": S + "Pbx.User"}

    _, change = only_change(changed(swap))
    assert (change.kind, change.detail, change.breaking) == ("body retyped", "object -> Pbx.User", True)


def test_responses() -> None:
    def add(doc: Doc) -> None:
        op(doc, USER, "patch")["responses"]["200"] = {"$ref": "#/components/responses/User"}

    _, added = only_change(changed(add))
    assert (added.kind, added.detail, added.breaking) == ("response added", "200: Pbx.User", False)
    _, removed = only_change(changed(lambda doc: op(doc, USER, "patch")["responses"].pop("204")))
    assert (removed.kind, removed.breaking) == ("response removed", True)

    def retype(doc: Doc) -> None:
        doc["components"]["responses"]["User"]["content"]["application/json"]["schema"] = {"$ref": S + "Pbx.Entity"}

    name, retyped = only_change(changed(retype))
    assert (name, retyped.kind, retyped.detail, retyped.breaking) == (
        "GetUser",
        "response retyped",
        "200: Pbx.User -> Pbx.Entity",
        True,
    )


# --------------------------------------------------------------------------------------------------- schemas


def schemas(doc: Doc) -> dict[str, Any]:
    found: dict[str, Any] = doc["components"]["schemas"]
    return found


def test_schema_added_and_removed() -> None:
    added = changed(lambda doc: schemas(doc).__setitem__("Pbx.New", {"type": "object", "properties": {}}))
    assert [s.name for s in added.schemas_added] == ["Pbx.New"] and added.bump == "minor"
    removed = changed(lambda doc: schemas(doc).pop("Pbx.Entity") and schemas(doc)["Pbx.User"]["allOf"].pop(0))
    assert [s.name for s in removed.schemas_removed] == ["Pbx.Entity"]
    # the flattened Id field went with its base
    assert [(i.name, c.kind) for i in removed.schemas_changed for c in i.changes] == [("Pbx.User", "field removed")]
    assert removed.breaking == 2 and removed.bump == "major"


def _user_props(doc: Doc) -> dict[str, Any]:
    props: dict[str, Any] = doc["components"]["schemas"]["Pbx.User"]["allOf"][1]["properties"]
    return props


@pytest.mark.parametrize(
    ("edit", "kind", "breaking"),
    [
        (lambda p: p.__setitem__("Email", {"type": "string", "nullable": True}), "field added", False),
        (lambda p: p.pop("Name"), "field removed", True),
        (
            lambda p: p.__setitem__("Name", {"type": "integer", "format": "int32", "nullable": True}),
            "field retyped",
            True,
        ),
        (lambda p: p["Name"].pop("nullable"), "field nullability", True),  # the model attribute's type changes
        (
            lambda p: p.__setitem__("Role", {"allOf": [{"$ref": S + "Pbx.Entity"}], "nullable": True}),
            "field retyped",
            True,
        ),
    ],
)
def test_schema_fields(edit: Callable[[dict[str, Any]], object], kind: str, breaking: bool) -> None:
    result = changed(lambda doc: edit(_user_props(doc)))
    name, change = only_change(result)
    assert (name, change.kind, change.breaking) == ("Pbx.User", kind, breaking)


def test_field_added_as_required_is_breaking() -> None:
    def add(doc: Doc) -> None:
        part = doc["components"]["schemas"]["Pbx.User"]["allOf"][1]
        part["properties"]["Email"] = {"type": "string"}
        part["required"] = ["Email"]

    _, change = only_change(changed(add))
    assert (change.kind, change.detail, change.breaking) == ("field added", "Email: string (required)", True)


def test_base_field_change_shows_in_every_derived_schema() -> None:
    def retype(doc: Doc) -> None:
        doc["components"]["schemas"]["Pbx.Entity"]["properties"]["Id"] = {"type": "string", "format": "uuid"}

    result = changed(retype)
    assert [item.name for item in result.schemas_changed] == ["Pbx.Entity", "Pbx.User"]
    assert all(c.kind == "field retyped" for item in result.schemas_changed for c in item.changes)


def test_field_moved_into_a_base_is_no_change() -> None:
    def move(doc: Doc) -> None:
        doc["components"]["schemas"]["Pbx.Entity"]["properties"]["Name"] = _user_props(doc).pop("Name")

    result = changed(move)
    assert [(i.name, c.kind) for i in result.schemas_changed for c in i.changes] == [("Pbx.Entity", "field added")]


def test_enum_values() -> None:
    added = changed(lambda doc: doc["components"]["schemas"]["Pbx.Role"]["enum"].append("Guest"))
    name, change = only_change(added)
    assert (name, change.kind, change.detail, change.breaking) == ("Pbx.Role", "enum value added", "Guest", False)
    assert added.bump == "minor"  # safe: the generated enums keep values they do not know
    removed = changed(lambda doc: doc["components"]["schemas"]["Pbx.Role"]["enum"].remove("User"))
    _, change = only_change(removed)
    assert (change.kind, change.breaking) == ("enum value removed", True)
    assert removed.bump == "major"


def test_schema_retyped() -> None:
    result = changed(lambda doc: doc["components"]["schemas"].__setitem__("Pbx.Role", {"type": "string"}))
    _, change = only_change(result)
    assert (change.kind, change.detail, change.breaking) == ("schema retyped", "enum -> string", True)


def test_yaml_12_enum_values_stay_strings(tmp_path: Path) -> None:
    text = json.dumps(base_doc()).replace('"Admin"', '"No"')
    document = parse_document(text.encode(), source="x.json")
    assert d.surface(document.data).schemas["Pbx.Role"].enum == ("No", "User")


# --------------------------------------------------------------------------------------------------- reports


def _mixed() -> d.SpecDiff:
    def edit(doc: Doc) -> None:
        doc["paths"]["/Ping"] = {"get": {"operationId": "Ping", "responses": {}}}
        doc["paths"][USER].pop("get")
        doc["components"]["schemas"]["Pbx.Role"]["enum"].append("Guest")
        _user_props(doc).pop("Name")

    return changed(edit)


def test_bump_and_counts() -> None:
    result = _mixed()
    assert d.summary_line(result) == "operations: +1 -1 ~0; schemas: +0 -0 ~2; breaking: 2"
    assert result.bump == "major"
    assert sorted(result.breaking_changes()) == [
        "operation removed: GetUser (GET /Users({Id}))",
        "schema Pbx.User: field removed: Name: string | null",
    ]


def test_render_text_sections_and_markers() -> None:
    text = d.render_text(_mixed())
    lines = text.splitlines()
    for title in ("Operations added (1):", "Operations removed (1):", "Operations changed (0)", "Schemas added (0)"):
        assert title in lines
    assert "  + Ping  GET /Ping" in lines
    assert "  ! GetUser  GET /Users({Id})  [BREAKING]" in lines
    assert "  ~ Pbx.Role: enum value added: Guest" in lines
    assert "  ! Pbx.User: field removed: Name: string | null  [BREAKING]" in lines
    assert lines[-1] == "breaking changes: 2; suggested version bump: major"


def test_render_markdown() -> None:
    text = d.render_markdown(_mixed(), "20.0.9", "20.0.10")
    assert text.startswith("# XAPI 20.0.9 -> 20.0.10\n")
    assert "| operations | 1 | 1 | 0 |" in text and "| schemas | 0 | 0 | 2 |" in text
    assert "## Breaking changes (2)" in text and "Suggested version bump: **major**" in text
    assert "## Schemas changed (2)" in text
    assert "  - field removed: `Name: string | null` **breaking**" in text
    assert text.rstrip("\n").splitlines()[-1] == d.summary_line(_mixed())


def _fetched(data: Doc, source: str) -> FetchedDocument:
    return parse_document(json.dumps(data).encode(), source=source)


def test_labels_and_markdown_name() -> None:
    old = _fetched(base_doc(), "specs/xapi-20.0.9.json")
    new_data = base_doc()
    new_data["info"]["x-3cx-version"] = "20.0.10"
    new = _fetched(new_data, "latest.json")
    assert d.document_label(old) == "20.0.9" and d.document_label(new) == "20.0.10"
    assert d.markdown_name(old, new) == "20.0.9-to-20.0.10.md"
    unversioned = _fetched(base_doc(), "swagger.json")
    assert d.document_label(unversioned) == unversioned.sha256[:12]
    other_bytes = parse_document(json.dumps(base_doc(), indent=1).encode(), source="xapi-20.0.9-copy.json")
    assert d.markdown_name(old, other_bytes) == f"20.0.9-{old.sha256[:12]}-to-20.0.9-{other_bytes.sha256[:12]}.md"


# --------------------------------------------------------------------------------------------------- command line


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "xapi-1.0.0.json", tmp_path / "xapi-1.1.0.json"
    old.write_text(json.dumps(base_doc()))
    new_doc = base_doc()
    new_doc["paths"][USER].pop("get")
    new.write_text(json.dumps(new_doc))
    return old, new


def test_cli_diff_prints_report_and_writes_markdown(
    pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "changes"
    code = cli.main(["diff", "--old", str(pair[0]), "--new", str(pair[1]), "--markdown-dir", str(out_dir)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "XAPI document diff: 1.0.0 -> 1.1.0"
    assert lines[-1] == "operations: +0 -1 ~0; schemas: +0 -0 ~0; breaking: 1"
    written = out_dir / "1.0.0-to-1.1.0.md"
    assert written.read_text().startswith("# XAPI 1.0.0 -> 1.1.0")
    assert "breaking changes: 1; suggested version bump: major" in lines


def test_cli_diff_without_markdown(pair: tuple[Path, Path], tmp_path: Path) -> None:
    assert d.main(["--old", str(pair[0]), "--new", str(pair[0]), "--markdown-dir", ""]) == 0
    assert not list(tmp_path.rglob("*.md"))


@pytest.mark.parametrize("bad", ["missing", "not-openapi", "dangling"])
def test_cli_diff_errors_exit_2(
    bad: str, pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"{bad}.json"
    if bad == "not-openapi":
        target.write_text('{"swagger": "2.0"}')
    elif bad == "dangling":
        doc = base_doc()
        op(doc, USER, "get")["responses"]["200"] = {"$ref": "#/components/responses/Gone"}
        target.write_text(json.dumps(doc))
    code = cli.main(["diff", "--old", str(pair[0]), "--new", str(target), "--markdown-dir", str(tmp_path / "md")])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and str(target) in captured.err
    assert not (tmp_path / "md").exists()


def test_module_entry_point(pair: tuple[Path, Path]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "generator", "diff", "--old", str(pair[1]), "--new", str(pair[0]), "--markdown-dir", ""],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "operations: +1 -0 ~0; schemas: +0 -0 ~0; breaking: 0"


# --------------------------------------------------------------------------------------------------- the real pair

needs_real = pytest.mark.skipif(not (SPEC_9.is_file() and SPEC_10.is_file()), reason=f"{SPEC_DIR} not available")


@pytest.fixture(scope="module")
def real() -> tuple[FetchedDocument, FetchedDocument]:
    if not (SPEC_9.is_file() and SPEC_10.is_file()):
        pytest.skip(f"{SPEC_DIR} not available")
    return load(str(SPEC_9)), load(str(SPEC_10))


@pytest.fixture(scope="module")
def forward(real: tuple[FetchedDocument, FetchedDocument]) -> d.SpecDiff:
    return d.diff(d.surface(real[0].data), d.surface(real[1].data))


# The independent computation: plain loops over the raw data, comparing the type-relevant keys structurally.
TYPE_KEYS = {"type", "format", "nullable", "items", "$ref", "allOf", "oneOf", "anyOf", "enum", "additionalProperties"}


def deref(doc: Doc, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node_path = node["$ref"][2:].split("/")
        node = doc
        for part in node_path:
            node = node[part]
    return node


def essence(node: Any) -> Any:
    """A schema node reduced to what can change a generated type (references stay names)."""
    if isinstance(node, list):
        return [essence(x) for x in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {k: essence(v) for k, v in node.items() if k in TYPE_KEYS}
    if "properties" in node:
        kept["properties"] = {name: essence(p) for name, p in node["properties"].items()}
    if "required" in node:
        kept["required"] = sorted(node["required"])
    if kept.get("type") == "object" and ("allOf" in kept or "properties" in kept):
        del kept["type"]  # `type: object` beside allOf/properties says nothing new
    return kept


def success_schemas(doc: Doc, operation: Doc) -> dict[str, Any]:
    out = {}
    for status, answer in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            content = deref(doc, answer).get("content") or {}
            out[str(status)] = essence(content["application/json"].get("schema")) if content else None
    return out


def operation_essence(doc: Doc, path: str, method: str, operation: Doc) -> Any:
    params = []
    for p in operation.get("parameters", []):
        p = deref(doc, p)
        params.append((p["name"], p["in"], p["in"] == "path" or bool(p.get("required")), essence(p.get("schema"))))
    body = None
    if "requestBody" in operation:
        b = deref(doc, operation["requestBody"])
        body = (bool(b.get("required")), essence(b["content"]["application/json"]["schema"]))
    return method, path, params, body, success_schemas(doc, operation)


def raw_operations(doc: Doc) -> dict[str, Any]:
    ops = {}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                ops[operation["operationId"]] = operation_essence(doc, path, method, operation)
    return ops


def all_fields(doc: Doc, schema: Doc) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for part in schema.get("allOf", []):
        fields.update(all_fields(doc, deref(doc, part)))
    for name, prop in schema.get("properties", {}).items():
        fields[name] = essence(prop)
    for name in schema.get("required", []):
        fields[name] = ("required", fields[name])
    return fields


def raw_schemas(doc: Doc) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, schema in doc["components"]["schemas"].items():
        if "enum" in schema:
            out[name] = ("enum", frozenset(map(str, schema["enum"])))
        elif "properties" in schema or "allOf" in schema or schema.get("type") == "object":
            out[name] = ("object", all_fields(doc, schema))
        else:
            out[name] = ("other", essence(schema))
    return out


def expected(old: Doc, new: Doc) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for area, extract in (("operations", raw_operations), ("schemas", raw_schemas)):
        before, after = extract(old), extract(new)
        result[f"{area}_added"] = set(after) - set(before)
        result[f"{area}_removed"] = set(before) - set(after)
        result[f"{area}_changed"] = {k for k in set(before) & set(after) if before[k] != after[k]}
    return result


def actual(result: d.SpecDiff) -> dict[str, set[str]]:
    return {
        "operations_added": {o.key for o in result.operations_added},
        "operations_removed": {o.key for o in result.operations_removed},
        "operations_changed": {c.name for c in result.operations_changed},
        "schemas_added": {s.name for s in result.schemas_added},
        "schemas_removed": {s.name for s in result.schemas_removed},
        "schemas_changed": {c.name for c in result.schemas_changed},
    }


def _added_removed_changed(label: str, old: dict[Any, Any], new: dict[Any, Any]) -> set[str]:
    out = {f"{label} added"} if new.keys() - old.keys() else set()
    out |= {f"{label} removed"} if old.keys() - new.keys() else set()
    return out | ({f"{label} changed"} if any(old[k] != new[k] for k in old.keys() & new.keys()) else set())


def expected_aspects(old: Doc, new: Doc) -> dict[str, set[str]]:
    """For each changed operation or schema, which aspects changed (finer than the name sets)."""
    out: dict[str, set[str]] = {}
    before, after = raw_operations(old), raw_operations(new)
    for key in before.keys() & after.keys():
        (m0, p0, params0, body0, resp0), (m1, p1, params1, body1, resp1) = before[key], after[key]
        aspects = {"method"} if m0 != m1 else set()
        aspects |= {"path"} if p0 != p1 else set()
        keys0, keys1 = {p[:2] for p in params0}, {p[:2] for p in params1}
        aspects |= {"parameters added"} if keys1 - keys0 else set()
        aspects |= {"parameters removed"} if keys0 - keys1 else set()
        if [p for p in params0 if p[:2] in keys1] != [p for p in params1 if p[:2] in keys0]:
            aspects.add("parameters changed")
        aspects |= {"body"} if body0 != body1 else set()
        aspects |= _added_removed_changed("responses", resp0, resp1)
        if aspects:
            out[key] = aspects
    schemas0, schemas1 = raw_schemas(old), raw_schemas(new)
    for name in schemas0.keys() & schemas1.keys():
        (kind0, shape0), (kind1, shape1) = schemas0[name], schemas1[name]
        if kind0 != kind1 or (kind0 == "other" and shape0 != shape1):
            aspects = {"kind"}
        elif kind0 == "enum":
            aspects = ({"values added"} if shape1 - shape0 else set()) | (
                {"values removed"} if shape0 - shape1 else set()
            )
        else:
            aspects = _added_removed_changed("fields", shape0, shape1)
        if aspects:
            out[name] = aspects
    return out


ASPECT_OF_KIND = {
    "method changed": "method",
    "path changed": "path",
    "parameter added": "parameters added",
    "parameter removed": "parameters removed",
    "response added": "responses added",
    "response removed": "responses removed",
    "response retyped": "responses changed",
    "field added": "fields added",
    "field removed": "fields removed",
    "enum value added": "values added",
    "enum value removed": "values removed",
    "schema retyped": "kind",
}


def actual_aspects(result: d.SpecDiff) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in (*result.operations_changed, *result.schemas_changed):
        for change in item.changes:
            aspect = ASPECT_OF_KIND.get(change.kind)
            if aspect is None:
                aspect = {
                    "parameter": "parameters changed",
                    "parameters": "parameters changed",
                    "path": "parameters changed",
                    "body": "body",
                }.get(change.kind.split()[0], "fields changed")
            out.setdefault(item.name, set()).add(aspect)
    return out


@needs_real
@pytest.mark.slow
def test_real_forward_matches_an_independent_computation(
    real: tuple[FetchedDocument, FetchedDocument], forward: d.SpecDiff
) -> None:
    want = expected(real[0].data, real[1].data)
    assert actual(forward) == want
    assert actual_aspects(forward) == expected_aspects(real[0].data, real[1].data)
    # the document's own counts: 590 + added - removed == 601
    assert real[0].operation_count + len(want["operations_added"]) - len(want["operations_removed"]) == 601
    assert all(want.values()), "the real pair has every kind of difference"
    assert forward.bump == "major"
    counts = SUMMARY.fullmatch(d.summary_line(forward))
    assert counts is not None
    assert [int(n) for n in counts.groups()[:6]] == [len(want[k]) for k in want]


@needs_real
@pytest.mark.slow
def test_real_backward_swaps_added_and_removed(
    real: tuple[FetchedDocument, FetchedDocument], forward: d.SpecDiff
) -> None:
    backward = d.diff(d.surface(real[1].data), d.surface(real[0].data))
    assert actual(backward) == expected(real[1].data, real[0].data)
    assert actual_aspects(backward) == expected_aspects(real[1].data, real[0].data)
    there, back = actual(forward), actual(backward)
    for area in ("operations", "schemas"):
        assert back[f"{area}_added"] == there[f"{area}_removed"]
        assert back[f"{area}_removed"] == there[f"{area}_added"]
        assert back[f"{area}_changed"] == there[f"{area}_changed"]
    assert backward.bump == "major"


@needs_real
def test_real_known_changes(forward: d.SpecDiff) -> None:
    changes = {(item.name, c.kind, c.detail, c.breaking) for item in forward.operations_changed for c in item.changes}
    assert (
        "GetAIResources",
        "path changed",
        "/AISettings/Pbx.GetAIResources() -> /AISettings/Pbx.GetAIResources(provider={provider})",
        True,
    ) in changes
    removed_ops = [o.key for o in forward.operations_removed]
    assert forward.breaking >= len(removed_ops) + len(forward.schemas_removed)
    assert all(
        line in forward.breaking_changes() for line in (f"schema removed: {s.name}" for s in forward.schemas_removed)
    )


@needs_real
def test_real_report_and_committed_markdown(
    real: tuple[FetchedDocument, FetchedDocument], forward: d.SpecDiff, tmp_path: Path
) -> None:
    lines: list[str] = []
    result = d.report(real[0], real[1], markdown_dir=tmp_path, log=lines.append)
    assert result == forward
    assert lines[-1] == d.summary_line(forward)
    assert SUMMARY.fullmatch(lines[-1])
    written = (tmp_path / "20.0.9-to-20.0.10.md").read_text("utf-8")
    assert written == d.render_markdown(forward, "20.0.9", "20.0.10")
    committed = ROOT / "spec" / "changes" / "20.0.9-to-20.0.10.md"
    assert committed.read_text("utf-8") == written, "spec/changes is stale: rerun `make diff-spec`"
    assert hashlib.sha256(SPEC_9.read_bytes()).hexdigest() == real[0].sha256
