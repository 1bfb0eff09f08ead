"""``threecx-xapi`` as a real process against the test server: seeds, formats, paging, downloads, dry runs,
errors and exit codes, debug logging. Each run is a fresh ``python -m threecx_xapi``, as from a shell.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import yaml

from threecx_xapi import XAPI, File
from threecx_xapi.cli._output import to_wire
from threecx_xapi.testing import XAPITestServer

from .conftest import Shell

UTC = timezone.utc


def _paths(server: XAPITestServer) -> list[str]:
    return [r.path for r in server.requests.snapshot() if r.path.startswith("/xapi/")]


def _file_bytes(answer: object) -> bytes:
    """The bytes of a ``File`` answer (downloads and exports)."""
    assert isinstance(answer, File)
    return answer.payload.read()


def _users(server: XAPITestServer, n: int) -> list[dict[str, Any]]:
    return server.state.records("Users")[:n]


# -- the five seed operations, field by field --------------------------------------------------------------


def test_seed_export_extensions_saves_the_file_the_pbx_sends(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell(
        "users", "export-extensions", "--top", "50", "--skip", "0", "--search", "front desk",
        "--filter", "startswith(Number,'1')", "--count", "--select", "Id,Number", "--orderby", "Number desc",
        "--expand", "Groups",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _paths(server) == [
        "/xapi/v1/Users/Pbx.ExportExtensions()?$top=50&$skip=0&$search=%22front%20desk%22"
        "&$filter=startswith(Number,'1')&$count=true&$select=Id,Number&$orderby=Number%20desc&$expand=Groups"
    ]
    saved = pbx_shell.folder / "Extensions.csv"
    assert done.stderr.strip() == f"saved {saved.stat().st_size} bytes to {saved}"
    with server.xapi() as pbx:
        file = pbx.users.export_extensions(
            top=50, skip=0, search="front desk", filter="startswith(Number,'1')", count=True,
            select="Id,Number", orderby="Number desc", expand="Groups",
        )  # fmt: skip
    assert saved.read_bytes() == _file_bytes(file)
    piped = pbx_shell.binary("users", "export-extensions", "--top", "5", "-o", "-")
    with server.xapi() as pbx:
        five = _file_bytes(pbx.users.export_extensions(top=5))
    assert piped.stdout == five and five.startswith(b"Id,Number,")


def test_seed_get_directory_info_prints_the_pbx_json(pbx_shell: Shell, server: XAPITestServer) -> None:
    parameters = '{"Path": "/var/lib/3cxpbx", "Filesystem": "Local"}'
    done = pbx_shell("directories", "get-directory-info", "--parameters", parameters, "--format", "json")
    assert done.returncode == 0, done.stderr
    sent = server.requests.snapshot()[-1]
    assert (sent.method, sent.path) == ("POST", "/xapi/v1/GetDirectoryInfo")
    assert json.loads(sent.body) == {"parameters": {"Path": "/var/lib/3cxpbx", "Filesystem": "Local"}}
    with server.xapi() as pbx:
        expected = to_wire(pbx.directories.get_directory_info(parameters=json.loads(parameters)))
    assert "@odata.context" in expected
    assert json.loads(done.stdout) == {k: v for k, v in expected.items() if k != "@odata.context"}


def test_seed_get_failover_scripts_quotes_the_search(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("backups", "get-failover-scripts", "--top", "10", "--search", "nightly backup", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert _paths(server) == ["/xapi/v1/Backups/Pbx.GetFailoverScripts()?$top=10&$search=%22nightly%20backup%22"]
    with server.xapi() as pbx:
        expected = [to_wire(item) for item in pbx.backups.get_failover_scripts(top=10, search="nightly backup")]
    assert json.loads(done.stdout) == expected


def test_seed_retreive_peers_by_numbers_sends_numbers_as_strings(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("peers", "retreive-peers-by-numbers", "--peers-request", '{"DnNumbers": [100, 101]}', "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(server.requests.snapshot()[-1].body) == {"peersRequest": {"DnNumbers": ["100", "101"]}}
    peers = json.loads(done.stdout)
    assert [(p["Number"], p["Name"], p["Type"]) for p in peers] == [
        ("100", "Alice Andersen", "Extension"),
        ("101", "Bruno Hansen", "Extension"),
    ]


def test_seed_extension_statistics_by_group_with_function_parameters(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell(
        "report-extension-statistics-by-group", "get-extension-statistics-by-group-data",
        "--group-number", "GRP0000", "--period-from", "2026-03-04T00:00:00Z", "--period-to", "2026-03-31T00:00:00Z",
        "--call-area", "0", "--top", "100", "-f", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _paths(server) == [
        "/xapi/v1/ReportExtensionStatisticsByGroup/Pbx.GetExtensionStatisticsByGroupData(groupNumber='GRP0000',"
        "periodFrom=2026-03-04T00:00:00Z,periodTo=2026-03-31T00:00:00Z,callArea=0)?$top=100"
    ]
    with server.xapi() as pbx:
        page = pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(
            group_number="GRP0000",
            period_from=datetime(2026, 3, 4, tzinfo=UTC),
            period_to=datetime(2026, 3, 31, tzinfo=UTC),
            call_area=0,
            top=100,
        )
    rows = json.loads(done.stdout)
    assert rows == [to_wire(item) for item in page.items]
    assert rows and all("Dn" in row and "DisplayName" in row for row in rows)


# -- formats -------------------------------------------------------------------------------------------


def test_every_format_prints_the_same_users(pbx_shell: Shell, server: XAPITestServer) -> None:
    expected = [{"Id": u["Id"], "Number": u["Number"], "FirstName": u["FirstName"]} for u in _users(server, 3)]
    base = ("users", "list-user", "--top", "3", "--select", "Id,Number,FirstName", "--format")
    assert json.loads(pbx_shell(*base, "json").stdout) == expected
    assert [json.loads(line) for line in pbx_shell(*base, "jsonl").stdout.splitlines()] == expected
    assert yaml.safe_load(pbx_shell(*base, "yaml").stdout) == expected
    rows = list(csv.DictReader(io.StringIO(pbx_shell(*base, "csv").stdout)))
    assert rows == [{k: str(v) for k, v in user.items()} for user in expected]
    table = pbx_shell(*base, "table").stdout
    lines = table.splitlines()
    assert all(name in lines[1] for name in ("Id", "Number", "FirstName"))
    for user in expected:
        assert any(str(user["Number"]) in line and user["FirstName"] in line for line in lines)
    assert "3 items" in table


def test_json_is_the_default_off_a_terminal_and_count_is_kept(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("users", "list-user", "--top", "2", "--select", "Id", "--count")
    assert json.loads(done.stdout) == {"@odata.count": 100, "value": [{"Id": 1}, {"Id": 2}]}


def test_query_reshapes_with_jmespath(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("users", "list-user", "--top", "3", "--query", "[].Number", "-f", "json")
    assert json.loads(done.stdout) == [u["Number"] for u in _users(server, 3)]
    bad = pbx_shell("users", "list-user", "--top", "3", "--query", "[?", "-f", "json")
    assert bad.returncode == 2
    assert "--query '[?'" in bad.stderr


# -- paging --------------------------------------------------------------------------------------------


def test_all_walks_every_page(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("users", "list-user", "--all", "--top", "30", "--select", "Id", "-f", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["Id"] for line in done.stdout.splitlines()] == server.state.keys("Users")
    assert _paths(server) == [
        "/xapi/v1/Users?$top=30&$select=Id",  # the first page as typed; later pages move $skip on
        *(f"/xapi/v1/Users?$top=30&$skip={skip}&$select=Id" for skip in (30, 60, 90)),
    ]


def test_all_without_top_pages_by_a_hundred_and_csv_streams(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("contacts", "list-contact", "--all", "--select", "Id,FirstName", "-f", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [int(r["Id"]) for r in rows] == server.state.keys("Contacts")
    assert _paths(server)[0] == "/xapi/v1/Contacts?$top=100&$select=Id,FirstName"


def test_limit_stops_after_n_items_without_asking_for_more(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("users", "list-user", "--top", "20", "--limit", "45", "--select", "Id", "-f", "jsonl")
    assert [json.loads(line)["Id"] for line in done.stdout.splitlines()] == server.state.keys("Users")[:45]
    assert _paths(server) == [
        "/xapi/v1/Users?$top=20&$select=Id",
        "/xapi/v1/Users?$top=20&$skip=20&$select=Id",
        "/xapi/v1/Users?$top=20&$skip=40&$select=Id",
    ]


# -- downloads -----------------------------------------------------------------------------------------


def test_download_is_saved_under_its_own_name_never_over_a_file(pbx_shell: Shell, server: XAPITestServer) -> None:
    with server.xapi() as pbx:
        expected = _file_bytes(pbx.recordings.download_recording(1))
    first = pbx_shell("recordings", "download-recording", "--rec-id", "1")
    second = pbx_shell("recordings", "download-recording", "--rec-id", "1")
    assert first.returncode == second.returncode == 0
    one, two = pbx_shell.folder / "Recording.wav", pbx_shell.folder / "Recording (1).wav"
    assert first.stderr.strip() == f"saved {len(expected)} bytes to {one}"
    assert second.stderr.strip() == f"saved {len(expected)} bytes to {two}"
    assert one.read_bytes() == two.read_bytes() == expected


def test_download_to_output_or_stdout(pbx_shell: Shell, server: XAPITestServer) -> None:
    target = pbx_shell.folder / "out" / "call.wav"
    target.parent.mkdir()
    assert pbx_shell("recordings", "download-recording", "--rec-id", "1", "-o", str(target)).returncode == 0
    piped = pbx_shell.binary("recordings", "download-recording", "--rec-id", "1", "-o", "-")
    assert piped.stdout == target.read_bytes() and target.stat().st_size > 0
    assert piped.stderr == b""


def test_a_content_disposition_path_cannot_leave_the_folder(pbx_shell: Shell, server: XAPITestServer) -> None:
    server.faults.fail_next(
        200,
        path="DownloadRecording",
        body=b"RIFF....",
        headers={"Content-Type": "audio/wav", "Content-Disposition": 'attachment; filename="../../evil.wav"'},
    )
    done = pbx_shell("recordings", "download-recording", "--rec-id", "1")
    assert done.returncode == 0, done.stderr
    assert (pbx_shell.folder / "evil.wav").read_bytes() == b"RIFF...."
    assert not (pbx_shell.folder.parent.parent / "evil.wav").exists()


# -- dry runs ------------------------------------------------------------------------------------------


def _sdk_request(call: Any) -> httpx.Request:
    """The request the SDK builds for ``call(pbx)``, kept by a transport instead of sent."""
    kept: list[httpx.Request] = []

    def keep(request: httpx.Request) -> httpx.Response:
        kept.append(request)
        return httpx.Response(200, json={"value": []}) if request.method == "GET" else httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(keep)) as http:
        call(XAPI("https://pbx.example.com:5001", token="t", http_client=http))
    return kept[0]


def test_dry_run_prints_the_sdk_request_and_sends_nothing(shell: Shell, server: XAPITestServer) -> None:
    env = {"THREECX_XAPI_URL": server.url, "THREECX_XAPI_CLIENT_ID": "x", "THREECX_XAPI_CLIENT_SECRET": "s3cret"}
    done = shell(
        "users", "update-user", "--id", "29", "--set", "FirstName=Ada", "--set", "Enabled=true", "--dry-run", env=env
    )
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 0  # not even a token request
    expected = _sdk_request(lambda pbx: pbx.users.update_user(29, body={"FirstName": "Ada", "Enabled": True}))
    head, _, body = done.stdout.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == f"PATCH {server.url}/xapi/v1/Users(29)"
    assert "authorization: Bearer ***" in lines
    assert body.rstrip("\n").encode() == expected.content
    assert expected.url.raw_path == b"/xapi/v1/Users(29)"
    assert "s3cret" not in done.stdout + done.stderr


def test_dry_run_needs_no_secret_and_matches_the_sdk_url(shell: Shell) -> None:
    done = shell(
        "--url", "https://pbx.example.com:5001", "users", "list-user", "--top", "5",
        "--filter", "LastName eq 'O''Brien'", "--dry-run",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = _sdk_request(lambda pbx: pbx.users.list_user(top=5, filter="LastName eq 'O''Brien'"))
    assert done.stdout.splitlines()[0] == f"GET {expected.url}"


# -- errors and exit codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "label"),
    [
        (403, 5, "PermissionDeniedError"),
        (409, 7, "ConflictError"),
        (429, 8, "RateLimitError"),
        (500, 9, "InternalServerError"),
    ],
)
def test_status_errors_exit_by_class(
    pbx_shell: Shell, server: XAPITestServer, status: int, code: int, label: str
) -> None:
    body = json.dumps(
        {"error": {"code": "E42", "message": "it went wrong", "details": [{"target": "Number", "message": "taken"}]}}
    )
    server.faults.fail_next(status, path="/Users(1)", body=body.encode(), headers={"Content-Type": "application/json"})
    done = pbx_shell("--max-retries", "0", "users", "get-user", "--id", "1")
    assert done.returncode == code
    assert done.stdout == ""
    assert f"  status: {status} ({label})" in done.stderr
    assert "  code: E42" in done.stderr and "  message: it went wrong" in done.stderr
    assert "  detail: Number | taken" in done.stderr


def test_not_found_auth_connection_and_usage_exit_codes(pbx_shell: Shell, server: XAPITestServer) -> None:
    missing = pbx_shell("users", "get-user", "--id", "99999")
    assert missing.returncode == 6 and "404" in missing.stderr
    wrong = pbx_shell("users", "get-user", "--id", "1", env={"THREECX_XAPI_CLIENT_SECRET": "wrong-secret"})
    assert wrong.returncode == 4 and "401" in wrong.stderr and "wrong-secret" not in wrong.stderr
    down = pbx_shell("--max-retries", "0", "--url", "http://127.0.0.1:9", "users", "get-user", "--id", "1")
    assert down.returncode == 3
    body = pbx_shell("users", "update-user", "--id", "1", "--set", "Enabled=maybe")
    assert body.returncode == 2 and "User.Enabled: expected a boolean, got str 'maybe'" in body.stderr
    unknown = pbx_shell("users", "update-user", "--id", "1", "--set", "FirstNme=Ada")
    assert unknown.returncode == 2 and "did you mean 'FirstName'?" in unknown.stderr
    option = pbx_shell("users", "get-user", "--nope")
    assert option.returncode == 2 and "No such option" in option.stderr
    assert all(r.method != "PATCH" for r in server.requests.snapshot())  # refused bodies were never sent


def test_debug_logs_requests_with_the_token_blanked(pbx_shell: Shell, server: XAPITestServer) -> None:
    done = pbx_shell("--debug", "users", "get-user", "--id", "1", "-f", "json")
    assert done.returncode == 0
    assert f"> GET {server.url}/xapi/v1/Users(1)" in done.stderr
    assert "> authorization: Bearer ***" in done.stderr
    assert f"< 200 OK ({server.url}/xapi/v1/Users(1))" in done.stderr
    assert "test-secret" not in done.stderr and "eyJ" not in done.stderr


# -- api -----------------------------------------------------------------------------------------------


def test_api_escape_hatch(pbx_shell: Shell, server: XAPITestServer) -> None:
    got = pbx_shell("api", "GET", "/Users(1)", "--query", "Number")
    assert json.loads(got.stdout) == _users(server, 1)[0]["Number"]
    listed = pbx_shell("api", "GET", "/Users?$top=2&$select=Id", "-f", "jsonl")
    assert listed.stdout.splitlines() == ['{"Id":1}', '{"Id":2}']
    patched = pbx_shell("api", "PATCH", "/Users(1)", "--data", "-", stdin='{"FirstName": "Ada"}')
    assert patched.returncode == 0, patched.stderr
    assert (server.state.entity_set("Users").get(1) or {}).get("FirstName") == "Ada"
    away = pbx_shell("api", "GET", "https://elsewhere.example/steal")
    assert away.returncode == 2 and "stay on the PBX" in away.stderr


def test_all_prints_each_page_before_asking_for_the_next(pbx_shell: Shell, server: XAPITestServer) -> None:
    server.faults.set_latency(1.5, path="$skip=")  # every page after the first takes 1.5 s: a generous margin
    argv = [sys.executable, "-m", "threecx_xapi", "users", "list-user", "--all", "--top", "25", "--select", "Id"]
    with subprocess.Popen(
        [*argv, "-f", "jsonl"], cwd=pbx_shell.folder, env=pbx_shell.env, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        first = [json.loads(process.stdout.readline())["Id"] for _ in range(25)]
        asked_so_far = len(_paths(server))
        rest = [json.loads(line)["Id"] for line in process.stdout]
    assert process.returncode == 0
    assert first + rest == server.state.keys("Users")
    assert asked_so_far <= 2  # the first page was printed while the second was on its way
    assert len(_paths(server)) == 5  # four full pages, then an empty one says the set has ended


def test_progress_shows_on_a_terminal_stderr_only(pbx_shell: Shell, server: XAPITestServer) -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "threecx_xapi", "users", "list-user", "--all", "--top", "40", "--count",
             "--select", "Id", "-f", "jsonl"],
            cwd=pbx_shell.folder, env={**pbx_shell.env, "TERM": "xterm"}, stdout=subprocess.PIPE,
            stderr=follower, text=True, timeout=120, check=False,
        )  # fmt: skip
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: everything has been read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 100  # the bar never reaches stdout
    assert b"items" in shown and b"/100" in shown  # "items ... 40/100": the total from @odata.count


def test_output_takes_a_json_answer_too(pbx_shell: Shell, server: XAPITestServer) -> None:
    """An export may answer JSON instead of a file: ``--output`` then holds the printed JSON."""
    page = {"@odata.context": "$metadata#CallHistoryView", "value": [{"SrcCallerNumber": "100"}]}
    server.faults.fail_next(
        200, path="DownloadCallHistory", body=json.dumps(page).encode(), headers={"Content-Type": "application/json"}
    )
    done = pbx_shell("call-history-view", "download-call-history", "--top", "1", "--output", "calls.json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == "wrote the answer (json) to calls.json\n"
    assert json.loads((pbx_shell.folder / "calls.json").read_text()) == [{"SrcCallerNumber": "100"}]
