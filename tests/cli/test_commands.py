"""The command tree in process: every resource and operation from the registry, help, completion, the hint
shown without the extra, and the small pieces (file names, exit codes)."""

from __future__ import annotations

import importlib.util
import io
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from threecx_xapi import APIConnectionError, NotFoundError, RateLimitError
from threecx_xapi import _registry as registry
from threecx_xapi import cli as cli_package
from threecx_xapi._bodies import BodyError
from threecx_xapi.cli._app import cli
from threecx_xapi.cli._catalog import kebab, resources
from threecx_xapi.cli._errors import exit_code_for
from threecx_xapi.cli._files import safe_file_name, save


def _help(*argv: str) -> str:
    result = CliRunner().invoke(cli, [*argv, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_resource_lists_its_operations_as_the_registry_has_them() -> None:
    expected = Counter(kebab(str(r["module"]).split(".")[2]) for r in registry.operations())
    root = _help()
    assert f"Resources ({len(expected)};" in root
    named = {line.split()[0] for line in root.splitlines() if line.startswith("  ") and not line.startswith("   ")}
    assert set(expected) | {"api", "profile", "completion"} <= named
    counted = 0
    for resource, count in expected.items():
        text = _help(resource)
        assert f"Operations ({count})" in text
        section = text.split(f"Operations ({count}):", 1)[1].splitlines()
        listed = [line.split()[0] for line in section if line.startswith("  ") and not line.startswith("   ")]
        assert listed == sorted(kebab(str(r["function"])) for r in registry.operations()
                                if kebab(str(r["module"]).split(".")[2]) == resource)  # fmt: skip
        counted += len(listed)
    assert counted == len(registry.operations()) == 601


def test_operation_help_shows_summary_parameters_odata_and_an_example() -> None:
    text = _help("report-extension-statistics-by-group", "get-extension-statistics-by-group-data")
    assert "GET /ReportExtensionStatisticsByGroup/Pbx.GetExtensionStatisticsByGroupData(" in text
    assert "SDK: pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(...)" in text
    for option in ("--group-number TEXT", "--period-from DATETIME", "--call-area INTEGER", "--top", "--filter"):
        assert option in text
    assert (
        "threecx-xapi report-extension-statistics-by-group get-extension-statistics-by-group-data --group-number 100"
        " --period-from 2026-03-01T00:00:00Z --period-to 2026-03-31T23:59:59Z --call-area 1 --top 10"
    ) in text


def test_a_parameter_keeps_its_name_and_the_output_option_moves_aside() -> None:
    text = _help("ai-settings", "get-vector-stores")
    assert "--limit INTEGER  " in text and "limit: function parameter, int" in text
    text = _help("crm-integration", "test")
    assert "--query TEXT  " in text and "query: action parameter, string" in text
    assert "--jmespath TEXT  " in text and "--query, --jmespath" not in text
    assert "--query, --jmespath TEXT" in _help("users", "get-user")


def test_only_the_named_operation_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from threecx_xapi.cli import _operation

    built: list[str] = []
    original = _operation.build_command

    def spy(resource: str, entry: Any) -> Any:
        built.append(entry.command)
        return original(resource, entry)

    monkeypatch.setattr(_operation, "build_command", spy)
    _help("users", "get-user")
    assert built == ["get-user"]


def test_completion_scripts_and_the_completion_protocol() -> None:
    runner = CliRunner()
    for shell, marker in (("bash", "complete -o"), ("zsh", "#compdef threecx-xapi"), ("fish", "complete --no-files")):
        result = runner.invoke(cli, ["completion", shell])
        assert result.exit_code == 0 and marker in result.output and "_THREECX_XAPI_COMPLETE" in result.output
    env = {"_THREECX_XAPI_COMPLETE": "bash_complete", "COMP_WORDS": "threecx-xapi report-call", "COMP_CWORD": "1"}
    result = runner.invoke(cli, [], env=env, prog_name="threecx-xapi")
    assert "plain,report-call-log-data" in result.output.splitlines()
    env = {
        "_THREECX_XAPI_COMPLETE": "bash_complete",
        "COMP_WORDS": "threecx-xapi users get-user --i",
        "COMP_CWORD": "3",
    }
    assert "plain,--id" in runner.invoke(cli, [], env=env, prog_name="threecx-xapi").output.splitlines()


def test_without_the_extra_the_script_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "click" else real(name, *a))
    assert cli_package.main(["users", "list-user"]) == 2
    assert capsys.readouterr().err == (
        'threecx-xapi: the command line needs the [cli] extra: pip install "threecx-xapi[cli]" (missing: click)\n'
    )


@pytest.mark.parametrize(
    ("suggested", "saved"),
    [
        ("Recording.wav", "Recording.wav"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "fallback.bin"),
        ("", "fallback.bin"),
        (None, "fallback.bin"),
        (".bashrc", "bashrc"),
        ("a\x00b\nc.csv", "a_b_c.csv"),
        ("/abs/path/x.zip", "x.zip"),
    ],
)
def test_file_names_from_the_pbx_stay_in_the_folder(suggested: str | None, saved: str) -> None:
    assert safe_file_name(suggested, "fallback.bin") == saved


def test_save_never_replaces_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_bytes(b"mine")
    where = save(io.BytesIO(b"theirs"), output=None, suggested="x.csv", fallback="f")
    assert where == str(tmp_path / "x (1).csv")
    assert (tmp_path / "x.csv").read_bytes() == b"mine"


def test_exit_codes_by_class() -> None:
    request = httpx.Request("GET", "https://pbx/xapi/v1/Users(1)")

    def status(code: int) -> Any:
        from threecx_xapi import status_error_from_response

        return status_error_from_response(httpx.Response(code, request=request))

    assert exit_code_for(APIConnectionError(request=request)) == 3
    assert [exit_code_for(status(code)) for code in (400, 401, 403, 404, 409, 412, 422, 429, 500, 503)] == [
        7, 4, 5, 6, 7, 7, 7, 8, 9, 9,
    ]  # fmt: skip
    assert isinstance(status(404), NotFoundError) and isinstance(status(429), RateLimitError)
    assert exit_code_for(BodyError("User.Id", "expected integer")) == 2
    assert exit_code_for(RuntimeError("bug")) == 1


def test_resources_are_the_sdk_attributes() -> None:
    from threecx_xapi import XAPI

    with XAPI("https://pbx.example.com", token="t") as pbx:
        for name, operations in resources().items():
            resource = getattr(pbx, name.replace("-", "_"))
            for entry in operations.values():
                assert callable(getattr(resource, entry.method))


def test_own_options_step_aside_for_a_parameter_of_the_same_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A regenerated registry may name a parameter ``data`` or ``format``: it keeps its name, ours move."""
    from threecx_xapi.cli import _operation
    from threecx_xapi.cli._catalog import Entry

    record = {
        "operation_id": "Odd",
        "method": "POST",
        "path": "/Odd",
        "summary": "An odd action",
        "parameters": [],
        "odata_options": ["$top"],
        "body": {
            "kind": "parameters",
            "model": "OddBody",
            "required": True,
            "schema": {"type": "object", "properties": {"data": {"type": "string"}, "format": {"type": "string"}}},
            "properties": [
                {"name": "data", "python_name": "data", "type": "string", "schema": {"type": "string"}},
                {"name": "format", "python_name": "format_", "type": "string", "schema": {"type": "string"}},
            ],
        },
        "response": {"collection_item": "Thing", "file": True},
    }
    command = _operation.build_command("odd", Entry("odd", "odd", record))
    flags = {flag: option.name for option in command.params for flag in option.opts}
    assert flags["--data"] == "b_data" and flags["--body"] == "data"
    assert flags["--format"] == "b_format_" and flags["--output-format"] == "fmt"
    assert flags["--all"] == "walk" and flags["--output"] == "output" and flags["--dry-run"] == "dry_run"


def test_the_client_secret_flag_is_warned_about_and_never_printed() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--url",
            "https://pbx.example.com",
            "--client-secret",
            "flag-s3cret",
            "users",
            "get-user",
            "--id",
            "1",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0
    assert "warning: --client-secret lands in shell history" in result.stderr
    assert "flag-s3cret" not in result.stdout + result.stderr


def test_api_dry_run_shows_the_request_with_its_body() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--url",
            "https://pbx.example.com:5001",
            "api",
            "post",
            "/xapi/v1/Users",
            "--data",
            '{"Number": "300"}',
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.stderr
    head, _, body = result.stdout.partition("\n\n")
    assert head.splitlines()[0] == "POST https://pbx.example.com:5001/xapi/v1/Users"
    assert "authorization: Bearer ***" in head.splitlines()
    assert body == '{"Number":"300"}\n'


def test_a_table_for_a_terminal_json_for_a_pipe() -> None:
    from threecx_xapi.cli._output import default_format

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert default_format(Terminal()) == "table"
    assert default_format(io.StringIO()) == "json"
