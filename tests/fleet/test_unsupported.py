"""Which 404s and 405s say "the PBX lacks this operation", and which stay what they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import httpx
import pytest

from threecx_xapi import APIConnectionError, NotFoundError, UnsupportedOperationError, status_error_from_response
from threecx_xapi._profiles import config_folder
from threecx_xapi._unsupported import operation_for, unsupported_operation

OLD, CURRENT = "20.0.8.100", "20.0.10.5"


def answer(method: str, path: str, status: int, version: str | None, body: object = None) -> Exception:
    request = httpx.Request(method, "https://pbx.example.com/xapi/v1" + path)
    headers = {"X-3CX-Version": version} if version else {}
    if body is None:
        response = httpx.Response(status, headers=headers, request=request)
    else:
        response = httpx.Response(status, headers=headers, json=body, request=request)
    return status_error_from_response(response)


def routing(method: str, path: str) -> dict[str, object]:
    message = f"No HTTP resource was found that matches the request {method} '/xapi/v1{path}'."
    return {"error": {"code": "", "message": message}}


@pytest.mark.parametrize(
    ("method", "path", "status", "version", "body", "operation"),
    [
        ("GET", "/Users", 404, CURRENT, routing("GET", "/Users"), "ListUser"),  # the routing miss, any version
        ("GET", "/Users", 404, None, routing("GET", "/Users"), "ListUser"),
        ("PATCH", "/Users(1)", 405, OLD, None, "UpdateUser"),  # the method is unknown there
        ("GET", "/Defs", 404, OLD, None, "GetDefs"),  # a bare 404 from an older PBX, no key in the path
        ("GET", "/Users/Pbx.GetNoSuch()", 404, OLD, None, "GET /xapi/v1/Users/Pbx.GetNoSuch()"),  # not in ours
    ],
)
def test_an_operation_the_pbx_lacks(
    method: str, path: str, status: int, version: str | None, body: object, operation: str
) -> None:
    error = unsupported_operation(answer(method, path, status, version, body))
    assert type(error) is UnsupportedOperationError
    assert (error.operation, error.pbx_version, error.status_code) == (operation, version, status)
    assert str(error).startswith(
        f"operation {operation} ({method} /xapi/v1{path}) " if not operation.startswith(method) else f"{method} "
    )
    assert ("(older)" in str(error)) == (version == OLD)


@pytest.mark.parametrize(
    ("method", "path", "status", "version", "body"),
    [
        ("GET", "/Users(99999)", 404, OLD, None),  # a key's 404: that entity may not exist
        ("GET", "/Users(Number='999')/Groups", 404, OLD, None),
        ("GET", "/Defs", 404, CURRENT, None),  # a bare 404 from a PBX as new as we are
        ("GET", "/Defs", 404, None, None),  # no version: says nothing
        ("GET", "/Users", 404, OLD, {"error": {"code": "x", "message": "No User 99"}}),  # an OData error of its own
        ("GET", "/Users", 400, OLD, routing("GET", "/Users")),  # not a 404 or 405
    ],
)
def test_other_errors_stay_as_they_are(method: str, path: str, status: int, version: str | None, body: object) -> None:
    error = answer(method, path, status, version, body)
    assert unsupported_operation(error) is error
    assert not isinstance(error, UnsupportedOperationError)


def test_non_status_errors_and_a_given_name() -> None:
    down = APIConnectionError("refused")
    assert unsupported_operation(down) is down
    named = unsupported_operation(answer("GET", "/Users", 404, OLD, routing("GET", "/Users")), operation="users x")
    assert isinstance(named, UnsupportedOperationError) and isinstance(named, NotFoundError)
    assert named.operation == "users x"
    assert operation_for("GET", "/pbx1/xapi/v1/Users(29)?$select=Id") == "GetUser"
    assert operation_for("DELETE", "/Nothing") is None


def test_the_config_folder_is_clicks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("THREECX_XAPI_CONFIG_DIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert config_folder() == Path(click.get_app_dir("threecx-xapi"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_folder() == Path(click.get_app_dir("threecx-xapi")) == tmp_path / "threecx-xapi"
    monkeypatch.setenv("THREECX_XAPI_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert config_folder() == tmp_path / "elsewhere"


def test_from_profiles_needs_no_click(tmp_path: Path) -> None:
    """In a process where click cannot be imported, the fleet still reads the profiles."""
    (tmp_path / "profiles.json").write_text(
        json.dumps({"profiles": {"x": {"url": "https://x.example.com", "client_id": "i", "client_secret": "s"}}})
    )
    os.chmod(tmp_path / "profiles.json", 0o600)
    code = (
        "import sys; sys.modules['click'] = None\n"
        "from threecx_xapi import Fleet\n"
        f"fleet = Fleet.from_profiles(config_dir={str(tmp_path)!r})\n"
        "print(fleet.names, fleet['x'].base_url, 'click' in sys.modules and sys.modules['click'] is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['x'] https://x.example.com/xapi/v1 False\n"
