"""The README's snapshot example runs as written against the loopback test server (only the address and
credentials are the server's), in a folder of its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi.testing import XAPITestServer

README = Path(__file__).resolve().parents[2] / "README.md"
CONSTRUCTOR = 'XAPI("https://pbx.example.com:5001", client_id="my-api-client", client_secret="...")'


def test_the_snapshot_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.read_text("utf-8").split("## Snapshots and diffs\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert CONSTRUCTOR in code
    monkeypatch.chdir(tmp_path)
    with XAPITestServer() as server:
        code = code.replace(
            CONSTRUCTOR, f"XAPI({server.url!r}, client_id={server.client_id!r}, client_secret={server.client_secret!r})"
        )
        namespace: dict[str, Any] = {}
        try:
            exec(compile(code, str(README), "exec"), namespace)
        finally:
            if "pbx" in namespace:
                namespace["pbx"].close()
    printed = capsys.readouterr().out
    assert (tmp_path / "snapshots" / "monday" / "manifest.json").is_file()
    assert "- Groups: 1 changed\n" in printed
    assert printed.endswith("1 (FieldChange(path='Name', old='DEFAULT', new='Sales EU'),)\n")
