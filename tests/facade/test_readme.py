"""The README's examples run, as written, against the loopback test server (only the address and credentials
are the server's)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi import File
from threecx_xapi.testing import XAPITestServer

README = Path(__file__).resolve().parents[2] / "README.md"
CONSTRUCTOR = 'XAPI("https://pbx.example.com:5001", client_id="my-api-client", client_secret="...")'


def section_code(heading: str) -> str:
    text = README.read_text("utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert blocks, f"no python example under {heading!r}"
    return "\n".join(blocks)


def test_import_and_call_runs_against_the_test_server(capsys: pytest.CaptureFixture[str]) -> None:
    code = section_code("Import and call")
    assert CONSTRUCTOR in code
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
        printed = capsys.readouterr().out.splitlines()
        numbers = [line.split()[0] for line in printed[:-1]]
        assert numbers and all(n.startswith("1") for n in numbers) and numbers == sorted(numbers)
        assert re.fullmatch(r"10 of \d+", printed[-1])
        assert len(namespace["first_five"]) == 5
        patches = [r for r in server.requests if r.method == "PATCH"]
        assert [json.loads(r.body) for r in patches] == [{"FirstName": "Ada"}]
        peers = [r for r in server.requests if r.path.endswith("Pbx.RetreivePeersByNumbers")]
        assert [json.loads(r.body) for r in peers] == [{"peersRequest": {"DnNumbers": ["100", "101"]}}]
        assert isinstance(namespace["export"], File)
