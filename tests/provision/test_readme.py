"""The README's provisioning section runs as written against the test server (only the address and
credentials are the server's), on the CSV file it shows."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi.testing import XAPITestServer

from .conftest import body, writes

README = Path(__file__).resolve().parents[2] / "README.md"
CONSTRUCTOR = 'XAPI("https://pbx.example.com:5001", client_id="my-api-client", client_secret="...")'
HEADING = "## Provisioning users and groups\n"


def section() -> str:
    return README.read_text("utf-8").split(HEADING, 1)[1].split("\n## ", 1)[0]


def test_the_python_example_runs_on_the_csv_the_section_shows(
    server: XAPITestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = section()
    shown_csv = re.search(r"cat > users\.csv <<'CSV'\n(.*?)CSV\n", text, re.DOTALL)
    assert shown_csv is not None
    (tmp_path / "users.csv").write_text(shown_csv[1], "utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, re.DOTALL))
    assert CONSTRUCTOR in code
    monkeypatch.chdir(tmp_path)
    server.start()
    code = code.replace(
        CONSTRUCTOR, f"XAPI({server.url!r}, client_id={server.client_id!r}, client_secret={server.client_secret!r})"
    )
    namespace: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), namespace)

    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "{'create': 1, 'update': 1, 'unchanged': 0, 'conflict': 0, 'delete': 0}"
    assert printed[1].startswith("1 100 update FirstName: ")
    assert printed[2].startswith("2 200 create Number='200', FirstName='Grace'")
    with (tmp_path / "result.csv").open(encoding="utf-8", newline="") as handle:
        assert [(r["row"], r["action"], r["status"]) for r in csv.DictReader(handle)] == [
            ("1", "update", "ok"),
            ("2", "create", "ok"),
        ]
    sent = {r.method: body(r) for r in writes(server)}  # applied 4 at a time: in either order
    assert sorted(sent) == ["PATCH", "POST"]
    assert sent["POST"]["Groups"] == [{"GroupId": 3, "Rights": {"RoleName": "users"}}]
    assert sent["PATCH"]["Groups"] == [{"GroupId": 2, "Rights": {"RoleName": "managers"}}]
