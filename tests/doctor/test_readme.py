"""The README's doctor example runs, as written, against a test server whose API client is a System Admin."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi.testing import XAPITestServer

README = Path(__file__).resolve().parents[2] / "README.md"
CONSTRUCTOR = 'XAPI("https://pbx.example.com:5001", client_id="my-api-client", client_secret="...")'


def test_the_doctor_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    section = README.read_text("utf-8").split("## Doctor: why does my integration not work?\n", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    assert CONSTRUCTOR in code
    with XAPITestServer() as server:
        server.add_client("my-api-client", "s3cret-readme", role="admin")
        url = server.url
        code = code.replace(CONSTRUCTOR, f'XAPI({url!r}, client_id="my-api-client", client_secret="s3cret-readme")')
        namespace: dict[str, Any] = {}
        exec(compile(code, str(README), "exec"), namespace)

    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"doctor for {url} (my-api-client): 4 failed, 0 warnings, 12 ok, 1 skipped"
    assert "  FAIL  access.recordings: denied (403 on GET /Recordings)" in printed
    failed = [line for line in printed if line.startswith("access.")]
    assert [line.split()[0] for line in failed] == [
        "access.call_history",
        "access.recordings",
        "access.call_log",
        "access.backups",
    ]
    assert all("System Owner role" in line for line in failed)
    report = namespace["report"]
    assert report.capabilities["users"] is True and report.capabilities["recordings"] is False
    assert "s3cret-readme" not in "\n".join(printed)
