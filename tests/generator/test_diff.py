"""Tests for generator.diff: SDK names, each kind of change and its direction on tiny documents, the reports,
the command line, then the real 20.0.9 -> 20.0.10 pair against an independent computation.
"""

from __future__ import annotations

import copy
import json
import keyword
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import __main__ as cli
from generator import diff as d
from generator.diff import naming
from generator.fetch import FetchedDocument, load, parse_document
from tests.generator.older_document import older_document

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT.parent / "shared" / "spec"
SPEC_9 = SPEC_DIR / "xapi-20.0.9.yaml"
SPEC_10 = SPEC_DIR / "xapi-20.0.10.yaml"
REGISTRY = ROOT / "generated" / "threecx_xapi_client" / "registry.json"
SUMMARY = re.compile(r"operations: \+(\d+) -(\d+) ~(\d+); schemas: \+(\d+) -(\d+) ~(\d+); breaking: (\d+)")
S = "#/components/schemas/"
BASE = "BaseCollectionPaginationCountResponse"

Doc = dict[str, Any]


def ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def path_param(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind, **extra}}


def collection(item: str) -> dict[str, Any]:
    value = {"type": "array", "items": {"$ref": S + item}}
    return {"allOf": [{"$ref": S + BASE}, {"type": "object", "properties": {"value": value}}]}


def base_doc() -> Doc:
    """Users (list, get, patch, a function), an AI settings function, a model read and written, an enum."""
    top = {"name": "$top", "in": "query", "schema": {"type": "integer"}}
    return {
        "openapi": "3.0.4",
        "info": {"title": "XAPI", "version": "1.0.0"},
        "paths": {
            "/Users": {
                "get": {
                    "tags": ["Users"],
                    "operationId": "ListUser",
                    "parameters": [top],
                    "responses": ok(collection("Pbx.User")),
                }
            },
            "/Users({Id})": {
                "get": {
                    "tags": ["Users"],
                    "operationId": "GetUser",
                    "parameters": [path_param("Id", "integer", format="int32")],
                    "responses": ok({"$ref": S + "Pbx.User"}),
                },
                "patch": {
                    "tags": ["Users"],
                    "operationId": "UpdateUser",
                    "parameters": [path_param("Id", "integer", format="int32")],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": S + "Pbx.Settings"}}},
                    },
                    "responses": {"204": {"description": "Success"}},
                },
            },
            "/AISettings/Pbx.GetAIResources()": {
                "get": {
                    "tags": ["AISettings"],
                    "operationId": "GetAIResources",
                    "responses": ok({"$ref": S + "Pbx.Report"}),
                }
            },
            "/Users/Pbx.Find(name={name})": {
                "post": {
                    "tags": ["Users"],
                    "operationId": "Find",
                    "parameters": [path_param("name", nullable=True)],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"Limit": {"type": "integer", "format": "int32"}},
                                }
                            }
                        }
                    },
                    "responses": ok({"$ref": S + "Pbx.User"}),
                }
            },
        },
        "components": {
            "schemas": {
                BASE: {
                    "type": "object",
                    "properties": {"@odata.count": {"type": "integer", "format": "int64", "nullable": True}},
                },
                "Pbx.User": {
                    "title": "User",
                    "type": "object",
                    "properties": {
                        "Id": {"type": "integer", "format": "int32"},
                        "Name": {"type": "string", "nullable": True},
                        "Status": {"allOf": [{"$ref": S + "Pbx.QueueStatus"}], "nullable": True},
                    },
                },
                "Pbx.Report": {  # read only
                    "type": "object",
                    "properties": {
                        "Calls": {"type": "number", "format": "int64"},
                        "Ratio": {"type": "number", "format": "double"},
                    },
                },
                "Pbx.Settings": {  # written (the PATCH body) and not read
                    "type": "object",
                    "properties": {"Limit": {"type": "integer", "format": "int32"}, "Label": {"type": "string"}},
                },
                "Pbx.QueueStatus": {"type": "string", "enum": ["LoggedIn", "LoggedOut"]},
            }
        },
    }


def report_of(edit: Callable[[Doc], object], *, back: bool = False) -> d.UpgradeReport:
    """The report from the base document to a copy changed by ``edit`` (or back, with ``back``)."""
    old, new = base_doc(), base_doc()
    edit(new)
    if back:
        old, new = new, old
    return d.compare(d.surface(old), d.surface(new))


def only(result: d.UpgradeReport) -> d.Change:
    assert len(result.changes) == 1, result.changes
    return result.changes[0]


def schema(doc: Doc, name: str) -> dict[str, Any]:
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found


# --------------------------------------------------------------------------------------------------- naming


def test_names_are_the_generators() -> None:
    assert naming.resource_name("AISettings") == "ai_settings"
    assert naming.method_name("GetAIResources") == "get_ai_resources"
    assert naming.class_name("AgentSettings") == "AgentSettings"
    assert naming.attribute_name("ConfidentialModeEnabled") == "confidential_mode_enabled"
    assert naming.attribute_name("@odata.count") == "odata_count"
    assert naming.enum_members("QueueStatus", ["LoggedIn", "LoggedOut"]) == {
        "LOGGEDIN": "LoggedIn",
        "LOGGEDOUT": "LoggedOut",
    }


def test_names_match_the_committed_registry() -> None:
    """Every method name and resource the diff computes is the one the generated package has."""
    registry = json.loads(REGISTRY.read_text("utf-8"))
    for record in registry["operations"]:
        assert naming.method_name(record["operation_id"]) == record["function"]
        assert record["module"].split(".")[-2] == naming.resource_name(record["tag"])


def test_surface_names_and_types() -> None:
    surface = d.surface(base_doc())
    assert sorted(surface.methods) == [
        "ai_settings.get_ai_resources",
        "users.find",
        "users.get_user",
        "users.list_user",
        "users.update_user",
    ]
    listing = surface.methods["users.list_user"]
    assert (listing.call, listing.page_of, listing.returns_text) == ("pbx.users.list_user", "User", "pages of User")
    find = surface.methods["users.find"]
    assert [(a.name, a.kind, str(a.annotation), a.required) for a in find.arguments] == [
        ("name", "positional", "str | None", True),
        ("limit", "keyword", "int", False),
    ]
    assert str(surface.methods["users.update_user"].arguments[1].annotation) == "Settings"
    user = surface.models["User"]
    assert {name: str(f.annotation) for name, f in user.fields.items()} == {
        "id": "int",
        "name": "str | None",
        "status": "QueueStatus | None",
    }
    assert (user.read, user.written) == (True, False)
    assert (surface.models["Settings"].read, surface.models["Settings"].written) == (False, True)
    assert surface.models["QueueStatus"].members == {"LOGGEDIN": "LoggedIn", "LOGGEDOUT": "LoggedOut"}
    assert "BaseCollectionPaginationCountResponse" in surface.models


def test_identical_and_cosmetic_changes_are_no_change() -> None:
    def cosmetic(doc: Doc) -> None:
        doc["info"]["description"] = "new words"
        doc["paths"]["/Users({Id})"]["get"]["summary"] = "Get a user"
        schema(doc, "Pbx.User")["properties"]["Name"]["maxLength"] = 20
        schema(doc, "Pbx.User")["properties"]["Id"]["format"] = "int64"  # still an int
        schema(doc, "Pbx.QueueStatus")["enum"].reverse()

    result = report_of(cosmetic)
    assert result.changes == () and result.breaking == 0 and result.bump == "patch"
    assert d.summary_line(result) == "operations: +0 -0 ~0; schemas: +0 -0 ~0; breaking: 0"


# --------------------------------------------------------------------------------------------------- methods


def test_method_removed_is_breaking_with_a_replacement_hint() -> None:
    def edit(doc: Doc) -> None:
        op = doc["paths"].pop("/AISettings/Pbx.GetAIResources()")["get"]
        op["operationId"] = "GetAIResource"
        doc["paths"]["/AISettings/Pbx.GetAIResource()"] = {"get": op}

    result = report_of(edit)
    removed, added = result.changes
    assert removed == d.Change(
        "pbx.ai_settings",
        "`pbx.ai_settings.get_ai_resources` removed (`GET /AISettings/Pbx.GetAIResources()`)",
        d.BREAKING,
        "call `pbx.ai_settings.get_ai_resource` instead, if it does the same",
    )
    assert added == d.Change("pbx.ai_settings", "new `pbx.ai_settings.get_ai_resource()`", d.ADDITION)
    assert (result.methods, result.breaking, result.bump) == ((1, 1, 0), 1, "major")


def test_required_argument_added_is_one_breaking_change_and_the_route_is_not_repeated() -> None:
    def edit(doc: Doc) -> None:
        item = doc["paths"].pop("/AISettings/Pbx.GetAIResources()")
        item["get"]["parameters"] = [path_param("provider", nullable=True)]
        doc["paths"]["/AISettings/Pbx.GetAIResources(provider={provider})"] = item

    change = only(report_of(edit))
    assert change.text == "`get_ai_resources` takes a new required argument `provider` (`str | None`)"
    assert change.hint == "pass it positionally: `pbx.ai_settings.get_ai_resources(provider)`; `None` is sent as null"
    assert change.breaking and change.group == "pbx.ai_settings"
    removed = only(report_of(edit, back=True))
    assert (removed.text, removed.kind) == ("`get_ai_resources` no longer takes `provider`", d.BREAKING)


def test_optional_argument_added_is_an_addition() -> None:
    def edit(doc: Doc) -> None:
        doc["paths"]["/Users"]["get"]["parameters"].append(
            {"name": "$skip", "in": "query", "schema": {"type": "integer"}}
        )

    assert only(report_of(edit)) == d.Change(
        "pbx.users", "`list_user` takes a new optional argument `skip`", d.ADDITION
    )
    back = only(report_of(edit, back=True))
    assert (back.text, back.kind) == ("`list_user` no longer takes the OData options `skip`", d.BREAKING)


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ({"type": "integer"}, {"type": "number"}, d.OTHER),  # accepts more: a float argument takes an int
        ({"type": "number"}, {"type": "integer"}, d.BREAKING),  # accepts less
        ({"type": "string"}, {"type": "string", "nullable": True}, d.OTHER),
        ({"type": "string", "nullable": True}, {"type": "string"}, d.BREAKING),
        ({"type": "number", "format": "int32"}, {"type": "integer", "format": "int32"}, d.OTHER),  # whole numbers
    ],
)
def test_argument_retyped_by_direction(old: dict[str, Any], new: dict[str, Any], kind: str) -> None:
    def with_limit(limit: dict[str, Any]) -> Callable[[Doc], None]:
        def edit(doc: Doc) -> None:
            body = doc["paths"]["/Users/Pbx.Find(name={name})"]["post"]["requestBody"]
            body["content"]["application/json"]["schema"]["properties"]["Limit"] = limit

        return edit

    before, after = base_doc(), base_doc()
    with_limit(old)(before)
    with_limit(new)(after)
    change = only(d.compare(d.surface(before), d.surface(after)))
    assert change.kind == kind
    assert change.text.startswith("`find` argument `limit` takes ")
    assert bool(change.hint) is (kind == d.BREAKING)


def test_collection_that_stops_being_one_is_one_breaking_change() -> None:
    def edit(doc: Doc) -> None:
        op = doc["paths"]["/Users"]["get"]
        op["parameters"] = []
        op["responses"] = ok({"$ref": S + "Pbx.Report"})

    change, model = report_of(edit).changes  # and the collection model nothing returns any more
    assert change.text == "`list_user` returns `Report` instead of pages of `User`; it no longer takes `top`"
    assert change.breaking and "auto_paging" in change.hint
    assert model.text == "model `UserCollectionResponse` removed"


def test_return_type_narrowed_is_not_breaking_widened_is() -> None:
    def nullable(doc: Doc) -> None:
        doc["paths"]["/Users({Id})"]["get"]["responses"] = ok({"allOf": [{"$ref": S + "Pbx.User"}], "nullable": True})

    widened = only(report_of(nullable))
    assert (widened.text, widened.kind) == ("`get_user` returns `User | None` (was `User`)", d.BREAKING)
    narrowed = only(report_of(nullable, back=True))
    assert narrowed.kind == d.OTHER


def test_route_change_alone_needs_nothing() -> None:
    def edit(doc: Doc) -> None:
        doc["paths"]["/Users/Pbx.List()"] = doc["paths"].pop("/Users")

    change = only(report_of(edit))
    assert (change.text, change.kind) == ("`list_user` now sends `GET /Users/Pbx.List()` (was `GET /Users`)", d.OTHER)


# --------------------------------------------------------------------------------------------------- models


def test_field_removed_and_renamed() -> None:
    def edit(doc: Doc) -> None:
        props = schema(doc, "Pbx.User")["properties"]
        props["DisplayName"] = props.pop("Name")
        del props["Status"]

    result = report_of(edit)
    by_text = {c.text: c for c in result.changes}
    assert by_text["`User.name` removed"].hint == "no replacement in the new document; stop reading and setting it"
    assert by_text["`User.status` removed"].breaking
    assert by_text["`User` has new fields `display_name`"].kind == d.ADDITION
    assert result.breaking == 2 and result.models == (0, 0, 1)


def test_whole_numbers_typed_int_are_not_breaking() -> None:
    def edit(doc: Doc) -> None:
        schema(doc, "Pbx.Report")["properties"]["Calls"] = {"type": "integer", "format": "int64"}

    change = only(report_of(edit))
    assert (
        change.text == "`Report.calls` is `int | Unset` (was `float | Unset`); the document always said whole numbers"
    )
    assert change.kind == d.OTHER
    assert only(report_of(edit, back=True)).kind == d.OTHER


@pytest.mark.parametrize(
    ("model", "field", "new", "kind"),
    [
        ("Pbx.Report", "Ratio", {"type": "integer"}, d.OTHER),  # read only: int where a float was
        ("Pbx.Report", "Ratio", {"type": "number", "nullable": True}, d.BREAKING),  # read only: None appears
        ("Pbx.Settings", "Limit", {"type": "number"}, d.OTHER),  # written only: accepts more
        ("Pbx.Settings", "Label", {"type": "string", "nullable": True}, d.OTHER),
        ("Pbx.Settings", "Limit", {"type": "string"}, d.BREAKING),
        ("Pbx.User", "Id", {"type": "string"}, d.BREAKING),
    ],
)
def test_field_retyped_by_direction(model: str, field: str, new: dict[str, Any], kind: str) -> None:
    def edit(doc: Doc) -> None:
        schema(doc, model)["properties"][field] = new

    assert only(report_of(edit)).kind == kind


def test_enum_members() -> None:
    def edit(doc: Doc) -> None:
        schema(doc, "Pbx.QueueStatus")["enum"] = ["LoggedIn", "Paused"]

    removed, added = report_of(edit).changes
    assert removed == d.Change(
        "QueueStatus",
        "`QueueStatus.LOGGEDOUT` removed",
        d.BREAKING,
        "the PBX no longer sends or accepts `LoggedOut`; drop the branches that handle it",
    )
    assert added == d.Change("QueueStatus", "`QueueStatus` has new members `PAUSED`", d.ADDITION)


def test_models_added_and_removed() -> None:
    def edit(doc: Doc) -> None:
        doc["components"]["schemas"]["Pbx.Reports"] = doc["components"]["schemas"].pop("Pbx.Report")
        doc["paths"]["/AISettings/Pbx.GetAIResources()"]["get"]["responses"] = ok({"$ref": S + "Pbx.Reports"})

    result = report_of(edit)
    texts = [(c.text, c.kind) for c in result.changes]
    assert ("model `Report` removed", d.BREAKING) in texts
    assert ("new model `Reports` (2 fields)", d.ADDITION) in texts
    assert ("`get_ai_resources` returns `Reports` (was `Report`)", d.BREAKING) in texts
    assert next(c for c in result.changes if c.text == "model `Report` removed").hint == (
        "use `Reports` instead, if it means the same"
    )
    assert result.models == (1, 1, 0) and result.methods == (0, 0, 1)


# --------------------------------------------------------------------------------------------------- reports


def mixed() -> d.UpgradeReport:
    def edit(doc: Doc) -> None:
        item = doc["paths"].pop("/AISettings/Pbx.GetAIResources()")
        item["get"]["parameters"] = [path_param("provider", nullable=True)]
        doc["paths"]["/AISettings/Pbx.GetAIResources(provider={provider})"] = item
        del schema(doc, "Pbx.User")["properties"]["Name"]
        schema(doc, "Pbx.QueueStatus")["enum"].append("Paused")
        schema(doc, "Pbx.Report")["properties"]["Calls"]["type"] = "integer"

    return report_of(edit)


def test_markdown_report() -> None:
    text = d.render_markdown(mixed(), "1.0.0", "1.1.0")
    assert text.startswith("# Upgrading from XAPI 1.0.0 to 1.1.0\n")
    assert "**2 breaking changes, 1 additions, 1 other changes that need nothing from you.**" in text
    breaking = text.index("## Breaking changes (2)")
    assert text.index("### pbx.ai_settings") > breaking
    assert "- `get_ai_resources` takes a new required argument `provider` (`str | None`). To migrate: pass it" in text
    assert "### Models and enums\n\n- `User.name` removed. To migrate: " in text
    assert text.index("## Additions (1)") > text.index("`User.name` removed")
    assert "- `QueueStatus` has new members `PAUSED`" in text
    assert "<details>\n<summary>Other changes (1): nothing to do</summary>" in text
    assert "- **Report**: `Report.calls` is `int | Unset` (was `float | Unset`)" in text
    lines = text.splitlines()
    assert lines[-1] == "operations: +0 -0 ~1; schemas: +0 -0 ~3; breaking: 2"
    items = [line for line in lines if line.startswith("- ")]
    assert len(items) == len(set(items)) == 4  # no item twice
    prose = [re.sub(r"`[^`]*`", "", line) for line in items]  # what is left outside code spans
    assert prose[0] == "-  takes a new required argument  (). To migrate: pass it positionally: ;  is sent as null."


def test_terminal_report_is_shorter_and_plain() -> None:
    result = mixed()
    text = d.render_text(result, "1.0.0", "1.1.0")
    assert text.splitlines()[0] == (
        "XAPI 1.0.0 -> 1.1.0: 2 breaking changes, 1 additions, 1 other changes that need nothing from you; "
        "suggested version bump: major"
    )
    assert "    ! get_ai_resources takes a new required argument provider (str | None)" in text
    assert "      -> pass it positionally: pbx.ai_settings.get_ai_resources(provider); None is sent as null" in text
    assert "  Models and enums: 1" in text  # additions counted, not listed
    assert "`" not in text
    assert len(text) < len(d.render_markdown(result, "1.0.0", "1.1.0"))


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
    new_doc["paths"]["/Users({Id})"].pop("get")
    new.write_text(json.dumps(new_doc))
    return old, new


def test_cli_diff_prints_report_and_writes_markdown(
    pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "changes"
    code = cli.main(["diff", "--old", str(pair[0]), "--new", str(pair[1]), "--markdown-dir", str(out_dir)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("XAPI 1.0.0 -> 1.1.0: 1 breaking change, 0 additions")
    assert lines[1] == f"  old: {pair[0]} (sha256 {load(str(pair[0])).sha256[:12]}, 5 operations)"
    assert "    ! pbx.users.get_user removed (GET /Users({Id}))" in lines
    assert lines[-1] == "operations: +0 -1 ~0; schemas: +0 -0 ~0; breaking: 1"
    written = (out_dir / "1.0.0-to-1.1.0.md").read_text()
    assert written.startswith("# Upgrading from XAPI 1.0.0 to 1.1.0")
    assert written.splitlines()[-1] == lines[-1]


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
        doc["paths"]["/Users({Id})"]["get"]["responses"]["200"] = {"$ref": "#/components/responses/Gone"}
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


@pytest.fixture(scope="module")
def real() -> tuple[FetchedDocument, FetchedDocument]:
    if not (SPEC_9.is_file() and SPEC_10.is_file()):
        pytest.skip(f"{SPEC_DIR} not available")
    return load(str(SPEC_9)), load(str(SPEC_10))


@pytest.fixture(scope="module")
def forward(real: tuple[FetchedDocument, FetchedDocument]) -> d.UpgradeReport:
    return d.compare(d.surface(real[0].data), d.surface(real[1].data))


# The independent computation: plain loops over the raw YAML and a naive snake_case, no diff code.


def snake(name: str) -> str:
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).strip("_").lower()
    return name + "_" if keyword.iskeyword(name) or name in ("type", "self") else name


def short(name: str) -> str:
    return name.removeprefix("Pbx.")


def deref(doc: Doc, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def flat_props(doc: Doc, node: Any) -> dict[str, Any]:
    node = deref(doc, node)
    props: dict[str, Any] = {}
    for part in node.get("allOf", []):
        props.update(flat_props(doc, part))
    props.update(node.get("properties", {}))
    return props


def ref_of(prop: dict[str, Any]) -> str | None:
    if "$ref" in prop:
        return str(prop["$ref"])
    parts = prop.get("allOf", [])
    return str(parts[0]["$ref"]) if len(parts) == 1 and "$ref" in parts[0] else None


def operations(doc: Doc) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        op["operationId"]: (path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def read_models(doc: Doc) -> set[str]:
    """Component names a 2xx response reaches, following properties, items and allOf."""
    seen: set[str] = set()
    stack: list[Any] = []
    for _, op in operations(doc).values():
        for code, response in op.get("responses", {}).items():
            if code.startswith("2"):
                stack.append(deref(doc, response))
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(S) and ref not in seen:
                seen.add(ref)
                stack.append(deref(doc, node))
            stack.extend(v for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            stack.extend(node)
    return {ref.removeprefix(S) for ref in seen}


def expected_breaking(old: Doc, new: Doc) -> list[tuple[str, str]]:
    """(group, a phrase its change must contain) for every breaking change, computed from the raw documents."""
    out: list[tuple[str, str]] = []
    old_ops, new_ops = operations(old), operations(new)
    for op_id in old_ops.keys() - new_ops.keys():
        tag = snake(old_ops[op_id][1]["tags"][0])
        out.append((f"pbx.{tag}", f"`pbx.{tag}.{snake(op_id)}` removed"))
    for op_id in old_ops.keys() & new_ops.keys():
        (_, was), (_, now) = old_ops[op_id], new_ops[op_id]
        group = f"pbx.{snake(now['tags'][0])}"
        before = {deref(old, p)["name"] for p in was.get("parameters", [])}
        after = {deref(new, p)["name"]: deref(new, p) for p in now.get("parameters", [])}
        for name, param in after.items():
            if name not in before and param["in"] == "path":
                out.append((group, f"takes a new required argument `{snake(name)}`"))
        gone = before - after.keys()
        plain_gone = [n for n in gone if not n.startswith("$")]
        for name in plain_gone:
            out.append((group, f"no longer takes `{snake(name)}`"))
        old_body = (deref(old, was.get("requestBody", {})).get("content") or {}).get("application/json", {})
        new_body = (deref(new, now.get("requestBody", {})).get("content") or {}).get("application/json", {})
        if old_body and new_body and "$ref" not in old_body["schema"]:
            for name in flat_props(old, old_body["schema"]).keys() - flat_props(new, new_body["schema"]).keys():
                out.append((group, f"no longer takes `{snake(name)}`"))
        old_200 = deref(old, was["responses"].get("200", {})).get("content", {}).get("application/json", {})
        new_200 = deref(new, now["responses"].get("200", {})).get("content", {}).get("application/json", {})
        was_collection = "value" in flat_props(old, old_200.get("schema", {})) and "$top" in before
        if was_collection and "value" not in flat_props(new, new_200.get("schema", {})):
            out.append(
                (
                    group,
                    f"`{snake(op_id)}` returns `{short(new_200['schema']['$ref'].removeprefix(S))}` instead of pages",
                )
            )
    old_schemas, new_schemas = old["components"]["schemas"], new["components"]["schemas"]
    read = read_models(old) | read_models(new)
    for name in old_schemas.keys() - new_schemas.keys():
        kind = "enum" if "enum" in old_schemas[name] else "model"
        out.append((short(name), f"{kind} `{short(name)}` removed"))
    for name in old_schemas.keys() & new_schemas.keys():
        cls = short(name)
        was, now = old_schemas[name], new_schemas[name]
        for value in set(was.get("enum", [])) - set(now.get("enum", [])):
            out.append((cls, f"`{cls}.{snake(value).upper()}` removed"))
        props_before, props_after = flat_props(old, was), flat_props(new, now)
        for prop in props_before.keys() - props_after.keys():
            out.append((cls, f"`{cls}.{snake(prop)}` removed"))
        for prop in props_before.keys() & props_after.keys():
            b, a = props_before[prop], props_after[prop]
            retyped = ref_of(b) != ref_of(a) or (
                b.get("type") != a.get("type") and {b.get("type"), a.get("type")} != {"number", "integer"}
            )
            gained_null = not b.get("nullable") and a.get("nullable") and name in read
            if retyped or gained_null:
                out.append((cls, f"`{cls}.{snake(prop)}` is `"))
    return out


def test_real_breaking_changes_match_an_independent_computation(
    real: tuple[FetchedDocument, FetchedDocument], forward: d.UpgradeReport
) -> None:
    expected = expected_breaking(real[0].data, real[1].data)
    breaking = forward.of_kind(d.BREAKING)
    for group, phrase in expected:
        matches = [c for c in breaking if c.group == group and phrase in c.text]
        assert len(matches) == 1, (group, phrase, matches)
    assert len(breaking) == len(expected) == forward.breaking
    assert 30 <= forward.breaking <= 120
    assert forward.bump == "major"


def test_real_known_changes(forward: d.UpgradeReport) -> None:
    texts = {c.text: c for c in forward.changes}
    provider = texts["`get_ai_resources` takes a new required argument `provider` (`str | None`)"]
    assert provider.group == "pbx.ai_settings" and provider.breaking
    assert texts["`AgentSettings.confidential_mode_enabled` removed"].breaking
    assert not [c for c in forward.changes if "GetAIResources(provider" in c.text]  # the route is not repeated
    whole = [c for c in forward.of_kind(d.OTHER) if "always said whole numbers" in c.text]
    assert len(whole) > 400
    assert len(texts) == len(forward.changes)  # no item twice
    assert forward.methods == (13, 2, forward.methods[2]) and forward.models[:2] == (25, 10)


def test_real_backward_swaps_added_and_removed(
    real: tuple[FetchedDocument, FetchedDocument], forward: d.UpgradeReport
) -> None:
    backward = d.compare(d.surface(real[1].data), d.surface(real[0].data))
    (fa, fr, fc), (ba, br, bc) = forward.methods, backward.methods
    assert (ba, br, bc) == (fr, fa, fc)
    assert backward.models == (forward.models[1], forward.models[0], forward.models[2])


def test_real_report_and_committed_markdown(
    real: tuple[FetchedDocument, FetchedDocument], forward: d.UpgradeReport, tmp_path: Path
) -> None:
    lines: list[str] = []
    result = d.report(real[0], real[1], markdown_dir=tmp_path, log=lines.append)
    assert result == forward
    assert lines[-1] == d.summary_line(forward)
    counts = SUMMARY.fullmatch(lines[-1])
    assert counts is not None and int(counts.group(7)) == forward.breaking
    written = (tmp_path / "20.0.9-to-20.0.10.md").read_text("utf-8")
    assert written == d.render_markdown(forward, "20.0.9", "20.0.10")
    committed = ROOT / "spec" / "changes" / "20.0.9-to-20.0.10.md"
    assert committed.read_text("utf-8") == written, "spec/changes is stale: rerun `make diff-spec`"


def test_a_copy_is_compared_not_the_callers_document(real: tuple[FetchedDocument, FetchedDocument]) -> None:
    data = copy.deepcopy(real[1].data)
    d.surface(data)
    assert data == real[1].data


def test_an_older_document_has_the_surface_of_a_current_one() -> None:
    """The naming rules apply: quoted paths, plain collections and titles do not leak into the SDK's names."""
    surface = d.surface(older_document())
    assert surface.methods["users.list_user"].page_of == "User"
    assert surface.methods["users.get_user_by_number"].route == "GET /Users(Number={Number})"
    reports = [m for m in surface.methods.values() if m.resource == "report_time"]
    assert {m.returns_text for m in reports} == {"TimeReportDataCollectionResponse"}
    assert "TimeReportDataCollectionResponse" in surface.models
    assert not [name for name in surface.models if name.startswith(("Pbx", "CollectionOf"))]
    # the value-type rules are not naming rules: the report still sees 3CX's number/int32
    assert surface.models["User"].fields["id"].annotation.whole
