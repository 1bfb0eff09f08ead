"""``threecx-xapi --profile a,b,c`` / ``--all-profiles``: every command against several PBXs, one of them down.

The command line runs in this process (click's runner); the PBXs are real test servers on loopback.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import Result

from tests.cli.conftest import invoke
from threecx_xapi import APIConnectionError
from threecx_xapi._profiles import ProfileStore
from threecx_xapi.cli._connection import Connection, connections, each_pbx, open_client
from threecx_xapi.cli._errors import CommandError

from .conftest import OLD_VERSION, PBXs

NOTE_B = (
    f"pbx b: note: X-3CX-Version {OLD_VERSION}; this client speaks XAPI 20.0.10, so operations and fields may differ"
)


def run(config: Path, *argv: str, env: dict[str, str | None] | None = None) -> Result:
    base: dict[str, str | None] = {
        "THREECX_XAPI_CONFIG_DIR": str(config),
        "THREECX_XAPI_TOKEN_STORE": "0",
        "THREECX_XAPI_PROFILE": None,
        "THREECX_XAPI_URL": None,
        "THREECX_XAPI_CLIENT_ID": None,
        "THREECX_XAPI_CLIENT_SECRET": None,
    }
    return invoke(["--max-retries", "0", *argv], {**base, **(env or {})})


def api_paths(server: object) -> list[str]:
    return [r.path for r in server.requests if r.path.startswith("/xapi")]  # type: ignore[attr-defined]


def test_a_command_across_three_pbxs_with_one_down(pbxs: PBXs, config: Path) -> None:
    done = run(config, "--profile", "a,b,c", "users", "get-user", "--id", "1", "--select", "Id,Number", "-f", "json")

    assert done.exit_code == 3  # c: connection refused, the exit code of a connection error
    assert json.loads(done.stdout) == [{"pbx": "a", "Id": 1, "Number": "100"}, {"pbx": "b", "Id": 1, "Number": "100"}]
    lines = done.stderr.splitlines()
    assert lines[0] == NOTE_B
    assert lines[1].startswith("pbx c: error: POST /connect/token on 127.0.0.1:") and "Connection refused" in lines[1]
    assert lines[2:] == ["error: 1 of 3 PBXs failed: c"]
    assert api_paths(pbxs.a) == api_paths(pbxs.b) == ["/xapi/v1/Users(1)?$select=Id,Number"]


def test_csv_over_all_profiles_has_a_leading_pbx_column(pbxs: PBXs, config: Path) -> None:
    done = run(config, "--all-profiles", "groups", "list-group", "--top", "2", "--select", "Id,Name", "-f", "csv")

    assert done.exit_code == 3
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["pbx", "Id", "Name"]
    names = [group["Name"] for group in pbxs.a.state.records("Groups")[:2]]
    assert rows[1:] == [["a", "1", names[0]], ["a", "2", names[1]], ["b", "1", names[0]], ["b", "2", names[1]]]
    assert "pbx c: error:" in done.stderr


def test_an_operation_an_older_pbx_lacks_is_a_clear_per_pbx_error(pbxs: PBXs, config: Path) -> None:
    done = run(config, "-p", "b,a", "users", "list-user", "--top", "2", "--select", "Number", "-f", "jsonl")

    assert done.exit_code == 6  # b: not found (its XAPI has no ListUser)
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"pbx": "a", "Number": "100"},
        {"pbx": "a", "Number": "101"},
    ]
    assert done.stderr.splitlines() == [
        "pbx b: error: operation ListUser (GET /xapi/v1/Users?$top=2&$select=Number) is not available on this PBX "
        f"(X-3CX-Version {OLD_VERSION} (older); this client speaks XAPI 20.0.10): it answered 404: "
        "No HTTP resource was found that matches the request GET '/xapi/v1/Users'.",
        "pbx b:   status: 404 (UnsupportedOperationError)",
        "pbx b:   message: No HTTP resource was found that matches the request GET '/xapi/v1/Users'.",
        "error: 1 of 2 PBXs failed: b",
    ]


def test_the_api_command_across_profiles(pbxs: PBXs, config: Path) -> None:
    done = run(config, "-p", "a,b,c", "api", "GET", "/Users?$top=2&$select=Number", "-f", "json")
    assert done.exit_code == 6  # the first failed PBX by name is b: not found
    assert json.loads(done.stdout) == [{"pbx": "a", "Number": "100"}, {"pbx": "a", "Number": "101"}]
    assert "pbx b: error: operation ListUser (GET /xapi/v1/Users?$top=2&$select=Number) is not available" in (
        done.stderr
    )
    assert done.stderr.splitlines()[-1] == "error: 2 of 3 PBXs failed: b, c"

    one = run(config, "-p", "a,b", "api", "GET", "/Users(2)", "--query", "Number", "-f", "json")
    assert one.exit_code == 0, one.stderr
    assert json.loads(one.stdout) == [{"pbx": "a", "value": "101"}, {"pbx": "b", "value": "101"}]
    assert one.stderr.splitlines() == [NOTE_B, "2 PBXs: all ok"]


def test_one_profile_prints_exactly_as_before(pbxs: PBXs, config: Path) -> None:
    done = run(config, "--profile", "a", "users", "get-user", "--id", "1", "--select", "Number", "-f", "json")
    assert done.exit_code == 0 and done.stderr == ""
    assert json.loads(done.stdout) == {"Number": "100"}
    env = run(config, "users", "get-user", "--id", "1", "--select", "Number", "-f", "json",
              env={"THREECX_XAPI_PROFILE": "a,b"})  # fmt: skip
    assert json.loads(env.stdout) == [{"pbx": "a", "Number": "100"}, {"pbx": "b", "Number": "100"}]


def test_table_and_yaml_lead_with_the_pbx(pbxs: PBXs, config: Path) -> None:
    table = run(config, "-p", "a,b", "users", "get-user", "--id", "3", "--select", "Number,FirstName", "-f", "table")
    assert table.exit_code == 0, table.stderr
    cells = [[cell.strip() for cell in re.split("[┃│]", line)[1:-1]] for line in table.stdout.splitlines()]
    first_name = pbxs.a.state.records("Users")[2]["FirstName"]
    assert [row for row in cells if row] == [
        ["pbx", "Number", "FirstName"],
        ["a", "102", first_name],
        ["b", "102", first_name],
    ]
    yaml = run(config, "-p", "a,b", "users", "get-user", "--id", "3", "--select", "Number", "-f", "yaml")
    assert yaml.stdout == "- pbx: a\n  Number: '102'\n- pbx: b\n  Number: '102'\n"


def test_usage_errors_come_before_anything_is_sent(pbxs: PBXs, config: Path) -> None:
    unknown = run(config, "-p", "a,zz", "users", "get-user", "--id", "1")
    assert unknown.exit_code == 2
    assert "--profile 'a,zz': no profile 'zz' (profiles: a, b, c)" in unknown.stderr
    with_url = run(config, "-p", "a,b", "--url", pbxs.a.url, "users", "get-user", "--id", "1")
    assert with_url.exit_code == 2 and "--url names one PBX" in with_url.stderr
    both = run(config, "-p", "a", "--all-profiles", "users", "get-user", "--id", "1")
    assert both.exit_code == 2 and "--all-profiles or --profile, not both" in both.stderr
    output = run(config, "-p", "a,b", "users", "export-extensions", "--output", "x.csv")
    assert output.exit_code == 2 and "put {pbx} in it" in output.stderr
    body = run(config, "-p", "a,b", "users", "update-user", "--id", "1", "--set", "NoSuchField=1")
    assert body.exit_code == 2
    assert api_paths(pbxs.a) == api_paths(pbxs.b) == []


def test_a_dry_run_shows_each_pbxs_request_and_sends_nothing(pbxs: PBXs, config: Path) -> None:
    done = run(config, "-p", "a,c", "users", "update-user", "--id", "7", "--set", "FirstName=Ada", "--dry-run")
    assert done.exit_code == 0, done.stderr
    blocks = done.stdout.split("# pbx ")[1:]
    assert [block.splitlines()[:2] for block in blocks] == [
        ["a", f"PATCH {pbxs.a.url}/xapi/v1/Users(7)"],
        ["c", f"PATCH {pbxs.c_url}/xapi/v1/Users(7)"],
    ]
    assert all(block.rstrip().endswith('{"FirstName":"Ada"}') for block in blocks)
    assert api_paths(pbxs.a) == []


def test_downloads_are_saved_per_pbx(pbxs: PBXs, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    named = run(config, "-p", "a,b", "users", "export-extensions", "--top", "3")
    assert named.exit_code == 0, named.stderr
    with pbxs.a.xapi() as pbx:
        expected = pbx.users.export_extensions(top=3)
    assert not isinstance(expected, type(None))
    payload = expected.payload.read()  # type: ignore[union-attr]
    assert (tmp_path / "a-Extensions.csv").read_bytes() == payload
    assert (tmp_path / "b-Extensions.csv").read_bytes() == payload
    placed = run(config, "-p", "a,b", "users", "export-extensions", "--top", "3", "--output", "ext-{pbx}.csv")
    assert placed.exit_code == 0, placed.stderr
    assert (tmp_path / "ext-a.csv").read_bytes() == (tmp_path / "ext-b.csv").read_bytes() == payload


def test_a_profile_without_credentials_fails_alone(pbxs: PBXs, config: Path) -> None:
    ProfileStore(config).add("d", url=pbxs.a.url, client_id="id", client_secret=None, use_keyring=False, replace=False)
    done = run(config, "-p", "a,d", "--concurrency", "1", "users", "get-user", "--id", "1", "--select", "Number")
    assert done.exit_code == 2  # d: usage, its profile has no secret (nor the environment)
    assert json.loads(done.stdout) == [{"pbx": "a", "Number": "100"}]
    assert done.stderr.splitlines() == [
        "pbx d: error: no credentials: a client secret is missing; use a profile (threecx-xapi profile add), "
        "or --client-id with THREECX_XAPI_CLIENT_ID / THREECX_XAPI_CLIENT_SECRET",
        "error: 1 of 2 PBXs failed: d",
    ]
    zero = run(config, "-p", "a,d", "--concurrency", "0", "users", "get-user", "--id", "1")
    assert zero.exit_code == 2 and "--concurrency" in zero.stderr


def test_json_answers_to_a_file_per_pbx(
    pbxs: PBXs, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = run(config, "-p", "a,b", "api", "GET", "/Users(1)?$select=Number", "-o", "user-{pbx}.json")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == ""  # each answer went to its file, as with one PBX
    for name in ("a", "b"):
        answer = json.loads((tmp_path / f"user-{name}.json").read_text())
        assert answer["Number"] == "100" and answer["@odata.context"].endswith("$metadata#Users/$entity")
    assert sorted(done.stderr.splitlines()) == [
        "2 PBXs: all ok",
        NOTE_B,
        f"saved {(tmp_path / 'user-a.json').stat().st_size} bytes to user-a.json",
        f"saved {(tmp_path / 'user-b.json').stat().st_size} bytes to user-b.json",
    ]


def test_the_helpers_other_commands_build_on(pbxs: PBXs, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``connections`` and ``each_pbx`` for a command of its own; ``open_client`` refuses a fleet clearly."""
    monkeypatch.setenv("THREECX_XAPI_CONFIG_DIR", str(config))
    monkeypatch.setenv("THREECX_XAPI_TOKEN_STORE", "0")
    monkeypatch.delenv("THREECX_XAPI_PROFILE", raising=False)
    fleet = Connection(profile="c,a", max_retries=0, concurrency=2)
    assert {name: c.profile for name, c in connections(fleet).items()} == {"a": "a", "c": "c"}
    assert connections(Connection(profile="b")) == {"b": Connection(profile="b")}
    outcomes = list(each_pbx(fleet, lambda name, pbx: (name, pbx.users.get_user(4, select=["Number"]).number)))
    assert [(o.pbx, o.value, o.version) for o in outcomes] == [("a", ("a", "103"), "20.0.10"), ("c", None, None)]
    assert isinstance(outcomes[1].error, APIConnectionError)
    with pytest.raises(CommandError, match="this command runs against one PBX") as refused, open_client(fleet):
        pass
    assert refused.value.exit_code == 2


def test_doctor_across_profiles_tags_each_check_with_its_pbx(pbxs: PBXs, config: Path) -> None:
    done = run(config, "--profile", "a,b,c", "doctor", "--area", "users", "--format", "json")

    rows = json.loads(done.stdout)
    assert {row["pbx"] for row in rows} == {"a", "b", "c"}  # c's checks say why it is down: connect fails
    by = {(row["pbx"], row["check"]): row["status"] for row in rows}
    assert by[("a", "token")] == by[("a", "access.users")] == "ok"
    assert by[("b", "version")] == "fail"  # an older build: X-3CX-Version 20.0.8.100
    assert by[("c", "connect")] == "fail"
    assert done.exit_code == 1  # the first PBX by name with a failed check is b: a version failure, exit 1
    assert "doctor: checks failed on 2 PBX(s): b, c" in done.stderr
    assert pbxs.a.client_secret not in done.stdout + done.stderr
    assert {r.method for r in pbxs.a.requests} <= {"GET", "POST"}
    assert [r.path for r in pbxs.a.requests if r.method == "POST"] == ["/connect/token"]


def test_snapshot_across_profiles_writes_a_folder_per_pbx(pbxs: PBXs, config: Path, tmp_path: Path) -> None:
    target = tmp_path / "snaps"
    done = run(config, "-p", "a,c", "snapshot", "--output", f"{target}/{{pbx}}")

    assert done.exit_code == 3  # c is down
    manifest = json.loads((target / "a" / "manifest.json").read_text())
    assert manifest["pbx"] == pbxs.a.url.rstrip("/") or pbxs.a.url.rstrip("/") in json.dumps(manifest)
    assert (target / "a" / "Users.json").exists()
    assert not (target / "c").exists()
    assert re.search(r"^pbx a: snapshot of .* -> .*snaps/a$", done.stderr, re.M)
    assert "pbx c: error:" in done.stderr and "error: 1 of 2 PBXs failed: c" in done.stderr


def test_snapshot_across_profiles_needs_a_folder_per_pbx(pbxs: PBXs, config: Path, tmp_path: Path) -> None:
    done = run(config, "-p", "a,b", "snapshot", "--output", str(tmp_path / "one"))

    assert done.exit_code == 2
    assert "put {pbx} in it" in done.stderr
    assert api_paths(pbxs.a) == api_paths(pbxs.b) == []


def test_export_across_profiles_writes_a_file_per_pbx(pbxs: PBXs, config: Path, tmp_path: Path) -> None:
    argv = ["export", "report-call-log-data", "get-call-log-data", "--period-from", "2026-03-01"]
    done = run(config, "-p", "a,c", *argv, "--period-to", "2026-03-01", "-o", f"{tmp_path}/calls-{{pbx}}.csv")

    assert done.exit_code == 3
    done_a = json.loads((tmp_path / "calls-a.csv.checkpoint.json").read_text())
    done_c = json.loads((tmp_path / "calls-c.csv.checkpoint.json").read_text())
    assert (done_a["finished"], done_a["windows"]) == (True, 1)
    assert (done_c["finished"], done_c["windows"]) == (False, 0)  # c's export can be --resume'd when it is back
    assert re.search(r"^pbx a: exported to .*calls-a\.csv: ", done.stderr, re.M)
    assert any("GetCallLogData(" in path for path in api_paths(pbxs.a))


def test_provision_plan_across_profiles_has_a_row_per_pbx_and_entry(pbxs: PBXs, config: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("Number,FirstName,LastName,EmailAddress\n7701,Ada,Lovelace,ada@example.com\n")
    done = run(config, "-p", "a,b", "provision", "users", str(users), "--plan", "-f", "json")

    assert done.exit_code == 6  # b is an older build without ListUser: it cannot list users to plan against
    rows = json.loads(done.stdout)
    assert [(row["pbx"], row["key"], row["action"]) for row in rows] == [("a", "7701", "create")]
    assert "pbx b: error: operation ListUser (GET /xapi/v1/Users?$top=100&$orderby=Id) is not available" in done.stderr
    assert "error: 1 of 2 PBXs failed: b" in done.stderr
    assert {r.method for r in pbxs.a.requests} <= {"GET", "POST"}  # a plan reads; POST is the token only
    assert [r.path for r in pbxs.a.requests if r.method == "POST"] == ["/connect/token"]


def test_provision_prune_across_profiles_needs_yes(pbxs: PBXs, config: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("Number,FirstName\n7701,Ada\n")
    done = run(config, "-p", "a,b", "provision", "users", str(users), "--apply", "--prune")

    assert done.exit_code == 2
    assert "--prune across several PBXs needs --yes" in done.stderr
    assert api_paths(pbxs.a) == []
