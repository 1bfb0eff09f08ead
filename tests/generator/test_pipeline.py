"""Tests for generator.pipeline and the command line: determinism, atomic output, exit codes, the registry.

The real 20.0.10 document is generated exactly twice per run of this file (one module-scoped fixture, the second
generation in a subprocess with a fixed hash seed so that set-order dependence would show up as a difference).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.format import FormatError
from generator.output import PACKAGE
from generator.pipeline import GenerateResult, compare_trees, generate, tree_digest
from generator.yaml12 import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT.parent / "shared" / "spec"
SPEC_10 = SPEC_DIR / "xapi-20.0.10.yaml"
COMMITTED = ROOT / "generated" / PACKAGE

TINY = """\
openapi: 3.0.4
info:
  title: XAPI
  version: 1.0.0
paths:
  /Users({Id}):
    get:
      tags: [Users]
      operationId: GetUser
      parameters:
        - name: Id
          in: path
          required: true
          schema:
            type: integer
            format: int32
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pbx.User'
  /Users/Pbx.GetByNumber(number={number}):
    get:
      tags: [Users]
      operationId: GetByNumber
      parameters:
        - name: number
          in: path
          required: true
          schema:
            type: string
            nullable: true
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pbx.User'
components:
  schemas:
    Pbx.User:
      title: User
      type: object
      properties:
        Id:
          type: integer
          format: int32
        Number:
          type: string
          nullable: true
"""
# the same document with a path parameter no OData literal exists for
BROKEN = TINY.replace("type: integer\n            format: int32", "type: object", 1)
assert BROKEN != TINY


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def leftovers(out: Path) -> list[str]:
    """Scratch folders a generation left behind in ``out``."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".generate-")) if out.exists() else []


# --------------------------------------------------------------------------------------------------- 20.0.10, twice


@dataclass(frozen=True)
class Fresh:
    first: Path  # <tmp>/first/threecx_xapi_client, generated in this process
    second: Path  # the same, generated in a subprocess with another hash seed
    result: GenerateResult
    logged: list[str]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Fresh:
    if not SPEC_10.is_file():
        pytest.skip(f"{SPEC_10} not found")
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    code = (
        "import sys; from pathlib import Path; from generator.pipeline import generate; "
        "generate(sys.argv[1], Path(sys.argv[2]), write_lock=False, log=lambda _line: None)"
    )
    # both generations at once: the file then costs one generation's wall time on two cores
    other = subprocess.Popen(
        [sys.executable, "-c", code, str(SPEC_10), str(second)],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "4242"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    logged: list[str] = []
    try:
        result = generate(str(SPEC_10), first, write_lock=False, log=logged.append)
    finally:
        _, err = other.communicate(timeout=600)
    assert other.returncode == 0, err
    return Fresh(first / PACKAGE, second / PACKAGE, result, logged)


@pytest.mark.slow
def test_generation_is_deterministic(fresh: Fresh) -> None:
    assert compare_trees(fresh.first, fresh.second) == []
    assert tree_digest(fresh.first) == tree_digest(fresh.second)
    assert len(list(fresh.first.rglob("*.py"))) > 1000
    assert leftovers(fresh.first.parent) == []


@pytest.mark.slow
def test_committed_package_matches_fresh_run(fresh: Fresh) -> None:
    """What `make check-generated` checks: generated/ is exactly what the generator makes of 20.0.10."""
    if not COMMITTED.is_dir():
        pytest.skip(f"{COMMITTED} not found")
    assert compare_trees(COMMITTED, fresh.first) == []


@pytest.mark.slow
def test_summary_lines(fresh: Fresh) -> None:
    lines = fresh.result.lines
    assert lines == fresh.logged
    assert fresh.result.up_to_date is False
    assert lines[0].startswith(f"document: {SPEC_10} (OpenAPI 3.0.4, sha256 ")
    assert "nullable path params: 152 in 77 operations" in lines
    assert "path param defaults: 8 in 8 operations" in lines
    assert "file responses: 42 in 42 operations" in lines
    assert lines[-1].startswith("operations: 601/601 generated")


@pytest.fixture(scope="module")
def registry(fresh: Fresh) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((fresh.first / "registry.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def raw_10() -> dict[str, Any]:
    if not SPEC_10.is_file():
        pytest.skip(f"{SPEC_10} not found")
    data: dict[str, Any] = load_yaml(SPEC_10.read_bytes())
    return data


def record(registry: dict[str, Any], operation_id: str) -> dict[str, Any]:
    matching: list[dict[str, Any]] = [r for r in registry["operations"] if r["operation_id"] == operation_id]
    (found,) = matching
    return found


@pytest.mark.slow
def test_registry_has_one_record_per_operation(registry: dict[str, Any], raw_10: dict[str, Any]) -> None:
    operations = registry["operations"]
    assert len(operations) == 601
    document_ids = {
        item[method]["operationId"]
        for item in raw_10["paths"].values()
        for method in ("get", "put", "post", "patch", "delete")
        if method in item
    }
    assert {r["operation_id"] for r in operations} == document_ids
    assert registry["document"]["xapi_version"] == "20.0.10"


@pytest.mark.slow
def test_registry_path_params_have_kind_and_literal(registry: dict[str, Any]) -> None:
    path_params = [p for r in registry["operations"] for p in r["parameters"] if p["location"] == "path"]
    assert len(path_params) == 493
    for param in path_params:
        assert param["kind"] in {"key", "alternate-key", "function", "segment"}, param
        assert param["literal"] in {"string", "int", "bool", "datetime", "uuid"}, param
        assert param["python_name"].isidentifier(), param
    assert sum(p["nullable"] for p in path_params) == 152
    assert sum("default" in p for p in path_params) == 8


@pytest.mark.slow
def test_registry_get_call_log_data(registry: dict[str, Any], raw_10: dict[str, Any]) -> None:
    entry = record(registry, "GetCallLogData")
    (path,) = [p for p in raw_10["paths"] if p.startswith("/ReportCallLogData/Pbx.GetCallLogData(")]
    in_document = [p["name"] for p in raw_10["paths"][path]["get"]["parameters"] if p.get("in") == "path"]
    path_params = [p for p in entry["parameters"] if p["location"] == "path"]
    assert [p["name"] for p in path_params] == in_document
    assert [(p["name"], p["python_name"], p["order"], p["literal"]) for p in path_params] == [
        ("periodFrom", "period_from", 0, "datetime"),
        ("periodTo", "period_to", 1, "datetime"),
        ("sourceType", "source_type", 2, "int"),
        ("sourceFilter", "source_filter", 3, "string"),
        ("destinationType", "destination_type", 4, "int"),
        ("destinationFilter", "destination_filter", 5, "string"),
        ("callsType", "calls_type", 6, "int"),
        ("callTimeFilterType", "call_time_filter_type", 7, "int"),
        ("callTimeFilterFrom", "call_time_filter_from", 8, "string"),
        ("callTimeFilterTo", "call_time_filter_to", 9, "string"),
        ("hidePcalls", "hide_pcalls", 10, "bool"),
    ]
    assert {p["kind"] for p in path_params} == {"function"}
    assert entry["path"] == path
    assert entry["response"]["collection_item"] == "CallLogData"


@pytest.mark.slow
def test_registry_export_extensions(registry: dict[str, Any]) -> None:
    entry = record(registry, "ExportExtensions")
    assert entry["odata_options"] == ["$top", "$skip", "$search", "$filter", "$count", "$select", "$orderby", "$expand"]
    assert entry["method"] == "GET"
    assert entry["response"]["file"] is True


# --------------------------------------------------------------------------------------------------- failures


def test_failing_document_leaves_no_package(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN, "utf-8")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="'type': 'object'"):
        generate(str(spec), out, write_lock=False, log=lambda _line: None)
    assert not (out / PACKAGE).exists()
    assert leftovers(out) == []


def test_failure_keeps_the_previous_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that fails after rendering (here in the format stage) must not touch the package already there."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY, "utf-8")
    out = tmp_path / "out"
    previous = out / PACKAGE
    (previous / "api").mkdir(parents=True)
    (previous / "__init__.py").write_text("# the previous package\n", "utf-8")
    (previous / "api" / "old.py").write_text("OLD = 1\n", "utf-8")
    digest = tree_digest(previous)

    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, "utf-8")
    with pytest.raises(ValueError):
        generate(str(broken), out, write_lock=False, log=lambda _line: None)
    assert tree_digest(previous) == digest

    staged: list[Path] = []

    def failing_format(package_dir: Path) -> None:
        staged.append(package_dir)
        assert (package_dir / "registry.json").is_file()  # rendering finished: the staging tree is half-way
        raise FormatError("ruff format failed: simulated")

    monkeypatch.setattr(pipeline, "format_package", failing_format)
    with pytest.raises(FormatError, match="simulated"):
        generate(str(spec), out, write_lock=False, log=lambda _line: None)
    assert staged and staged[0] != previous
    assert tree_digest(previous) == digest
    assert leftovers(out) == []

    monkeypatch.undo()  # and a run that succeeds does replace it
    result = generate(str(spec), out, write_lock=False, log=lambda _line: None)
    assert result.lines[-1].startswith("operations: 2/2 generated")
    assert not (previous / "api" / "old.py").exists()
    assert (previous / "api" / "users" / "get_by_number.py").is_file()
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------------- command line


def test_cli_generate_missing_spec_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-xapi.yaml"
    proc = run_cli("generate", "--spec", str(missing), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert str(missing) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / PACKAGE).exists()


def test_cli_generate_unsupported_document_exits_2(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN, "utf-8")
    proc = run_cli("generate", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert (proc.returncode, "Traceback" in proc.stderr) == (2, False), proc.stderr
    assert "error: " in proc.stderr


def test_cli_check_lists_modified_files(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY, "utf-8")
    against = tmp_path / "committed"
    generate(str(spec), against, write_lock=False, log=lambda _line: None)

    proc = run_cli("check", "--spec", str(spec), "--against", str(against))
    assert proc.returncode == 0, proc.stderr
    assert "matches a fresh run" in proc.stdout

    model = against / PACKAGE / "models" / "user.py"
    model.write_text(model.read_text("utf-8") + "# edited by hand\n", "utf-8")
    (against / PACKAGE / "api" / "users" / "get_user.py").unlink()
    shutil.copyfile(model, against / PACKAGE / "models" / "stray.py")
    proc = run_cli("check", "--spec", str(spec), "--against", str(against))
    assert proc.returncode == 1
    assert "3 files differ" in proc.stderr
    assert "  differs: models/user.py" in proc.stderr
    assert f"only in {against / PACKAGE}: models/stray.py" in proc.stderr
    assert "api/users/get_user.py" in proc.stderr
