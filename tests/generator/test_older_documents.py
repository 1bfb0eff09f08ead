"""End to end: an older-style XAPI document goes through the whole pipeline into a temporary folder.

The document (``older_document``) is synthetic and uses the shapes older 3CX documents have; a stock run stops on
it with "duplicate models". Here it is generated with ``generate`` (no lock written), every endpoint module and
model of the result is imported in a fresh interpreter, and a few calls go through the facade to a mock
transport to show the URLs and parsed types are those of a current document.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.output import PACKAGE
from generator.pipeline import LOCK, generate
from tests.generator.older_document import OPERATIONS, older_document

pytestmark = pytest.mark.slow

IMPORT_EVERY_OPERATION = """
import importlib, json, sys
from pathlib import Path
import {package} as package
assert package.__file__.startswith(sys.argv[1]), package.__file__
registry = json.loads(Path(package.__file__).with_name("registry.json").read_text("utf-8"))
for op in registry["operations"]:
    module = importlib.import_module(op["module"])
    for name in ("sync", "sync_detailed", "asyncio", "asyncio_detailed"):
        assert callable(getattr(module, name)), (op["module"], name)
models = importlib.import_module("{package}.models")
for name in models.__all__:
    getattr(models, name)
print(json.dumps({{"operations": len(registry["operations"]), "models": len(models.__all__)}}))
"""

CALL_THROUGH_THE_FACADE = """
import datetime, json, httpx
from threecx_xapi import XAPI

seen = []

def answer(request):
    seen.append(str(request.url))
    if "TimeReport" in request.url.path:
        return httpx.Response(200, json={"value": [{"Calls": 3, "Ratio": 0.5}], "@odata.count": 1})
    if request.url.path.endswith("/$count"):
        return httpx.Response(200, text="41", headers={"content-type": "text/plain"})
    if "Users(Number=" in request.url.path:
        return httpx.Response(200, json={"Id": 7, "Number": "100", "Group": {"Id": 2, "Name": "Sales"}})
    return httpx.Response(200, json={"value": [{"Id": 1}], "@odata.count": 41})

pbx = XAPI("https://pbx.example", token="t", http_client=httpx.Client(transport=httpx.MockTransport(answer)))
user = pbx.users.get_user_by_number("100")
pbx.users.get_by_number("O'Neil")
report = pbx.report_time.get_time_report_data_by_queue(
    "Q'1", datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)
)
page = pbx.users.list_user(top=1, count=True, select=["Id", "Number"], orderby="Number desc", expand="Group")
total = pbx.users.get_count_users(search="front desk")
print(json.dumps({
    "urls": seen,
    "user": [type(user).__name__, user.id, type(user.id).__name__, type(user.group).__name__],
    "report": [type(report).__name__, report.value[0].calls, type(report.value[0].calls).__name__],
    "page": [page.count, type(page.count).__name__, [type(item).__name__ for item in page.items]],
    "count": total,
}))
"""


def _run(code: str, folder: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(folder)}
    out = subprocess.run([sys.executable, "-c", code, str(folder)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-4000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("older")
    spec = folder / "xapi-older.json"
    spec.write_text(json.dumps(older_document()), "utf-8")
    lock_before = LOCK.read_bytes()
    lines: list[str] = []
    result = generate(str(spec), folder / "out", write_lock=False, log=lines.append)
    assert LOCK.read_bytes() == lock_before  # a temp folder never touches the lock
    return folder / "out", result.lines


def test_every_operation_generates_and_imports(generated: tuple[Path, list[str]]) -> None:
    out, lines = generated
    assert lines[-1].startswith(f"operations: {OPERATIONS}/{OPERATIONS} generated")
    counts = {line.split(":")[0]: line for line in lines}
    for rule in (
        "operation ids",
        "integer numbers",
        "nullable references",
        "quoted path literals",
        "query option values",
        "plain collection responses",
        "shared response components",
        "shared request bodies",
        "inline title clashes",
    ):
        assert not counts[rule].startswith(f"{rule}: 0 "), counts[rule]
    imported = _run(IMPORT_EVERY_OPERATION.format(package=PACKAGE), out)
    assert imported["operations"] == OPERATIONS


def test_the_registry_speaks_like_a_current_document(generated: tuple[Path, list[str]]) -> None:
    out, _ = generated
    registry = json.loads((out / PACKAGE / "registry.json").read_text("utf-8"))
    by_id = {op["operation_id"]: op for op in registry["operations"]}
    assert len(by_id) == OPERATIONS
    assert not [op["path"] for op in by_id.values() if "'" in op["path"]]
    reports = [op for op in by_id.values() if op["tag"] == "ReportTime"]
    assert len(reports) == 5
    assert {op["response"]["model"] for op in reports} == {"TimeReportDataCollectionResponse"}
    assert by_id["GetTimeReportData_2"]["path"] == "/ReportTime/Pbx.GetTimeReportDataByDay(day={day})"
    assert by_id["DeleteUsersKey"]["method"] == "DELETE"
    assert {by_id[name]["response"]["model"] for name in ("ListGroup", "FindGroups")} == {"GroupCollectionResponse"}
    assert by_id["ListUser"]["response"]["item_model"] == "User"
    assert by_id["ListUser"]["odata_options"] == ["$top", "$skip", "$count", "$select", "$orderby", "$expand"]
    assert {by_id[name]["body"]["model"] for name in ("BulkDeleteUsers", "BulkDeleteGroups")} == {"BulkIdsRequestBody"}
    number = by_id["GetUserByNumber"]["parameters"][0]
    assert (number["kind"], number["literal"], number["nullable"]) == ("alternate-key", "string", True)


def test_calls_through_the_facade(generated: tuple[Path, list[str]]) -> None:
    out, _ = generated
    result = _run(CALL_THROUGH_THE_FACADE, out)
    assert result["urls"] == [
        "https://pbx.example/xapi/v1/Users(Number='100')",
        "https://pbx.example/xapi/v1/Users/Pbx.GetByNumber(number='O''Neil')",
        "https://pbx.example/xapi/v1/ReportTime/Pbx.GetTimeReportDataByQueue(queueDnStr='Q''1',periodFrom=2024-01-02T00:00:00Z)",
        "https://pbx.example/xapi/v1/Users?$top=1&$count=true&$select=Id,Number&$orderby=Number%20desc&$expand=Group",
        "https://pbx.example/xapi/v1/Users/$count?$search=%22front%20desk%22",
    ]
    assert result["user"] == ["User", 7, "int", "Group"]
    assert result["report"] == ["TimeReportDataCollectionResponse", 3, "int"]
    assert result["page"] == [41, "int", ["User"]]
    assert result["count"] == 41
