"""``pbx.doctor()`` against loopback test servers, each with one failure staged, checked as the user sees it:
the checks in order with their status, summary and fix, what reached the server (reads only), and no secret."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import httpx
import pytest

from threecx_xapi import XAPI, AsyncXAPI
from threecx_xapi import _registry as registry
from threecx_xapi.doctor import AREAS, PROBES, DoctorReport
from threecx_xapi.testing import XAPITestServer

from .conftest import ACCESS, ALL_CHECKS, JWT, OWNER_AREAS


def statuses(report: DoctorReport) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


def assert_no_secret(report: DoctorReport, *secrets: str) -> None:
    text = str(report) + json.dumps(report.to_dict()) + repr(report)
    for secret in secrets:
        assert secret not in text
    assert not JWT.search(text), "a token is in the report"


def methods_and_paths(server: XAPITestServer) -> list[tuple[str, str]]:
    return [(request.method, request.path.split("?")[0]) for request in server.requests]


# -- a healthy PBX --------------------------------------------------------------------------------------------


def test_a_healthy_pbx_passes_every_check_and_is_only_read(server: XAPITestServer) -> None:
    with server.xapi() as pbx:
        report = pbx.doctor()

    assert report.ok and not report.failed
    assert [check.name for check in report.checks] == ALL_CHECKS
    assert statuses(report) == {name: ("skip" if name == "tls" else "ok") for name in ALL_CHECKS}
    assert report["tls"].summary == "plain HTTP: the secret and the token cross the network unencrypted"
    assert report["api"].details == {"status_code": 401, "content_type": "no Content-Type"}
    assert report["token"].details["fetched"] is True
    assert report["clock"].details["source"] == "the new token's iat"
    assert abs(report["clock"].details["skew_seconds"]) <= 1
    assert report["version"].summary == "the PBX speaks XAPI 20.0.10 (X-3CX-Version: 20.0.10)"
    assert report.capabilities == dict.fromkeys(AREAS, True)
    assert report.url == server.url and report.client_id == server.client_id

    # Only reads: the unauthenticated GET, the one token request, one GET per area ($top=1 where it pages).
    sent = [(request.method, request.path) for request in server.requests]
    assert sent[:2] == [("GET", "/xapi/v1/Defs?$select=Id"), ("POST", "/connect/token")]
    assert {method for method, _ in sent[2:]} == {"GET"}
    assert [path.split("?")[0].split("/Pbx.")[0] for _, path in sent[2:]] == [
        "/xapi/v1/Users",
        "/xapi/v1/Groups",
        "/xapi/v1/Queues",
        "/xapi/v1/CallHistoryView",
        "/xapi/v1/Recordings",
        "/xapi/v1/ReportCallLogData",
        "/xapi/v1/SystemStatus",
        "/xapi/v1/Backups",
        "/xapi/v1/LicenseStatus",
    ]
    assert [path for _, path in sent[2:] if not path.endswith("$top=1")] == [
        "/xapi/v1/SystemStatus",
        "/xapi/v1/LicenseStatus",
    ]
    call_log = sent[7][1]
    assert call_log.startswith("/xapi/v1/ReportCallLogData/Pbx.GetCallLogData(periodFrom=")
    assert "sourceFilter='',destinationType=0" in call_log and call_log.endswith(",hidePcalls=true)?$top=1")
    assert_no_secret(report, server.client_secret)


def test_every_probe_is_a_get_of_the_registry() -> None:
    for probe in PROBES:
        assert registry.operation(probe.operation_id)["method"] == "GET", probe


# -- staged failures ------------------------------------------------------------------------------------------


def test_a_closed_port_fails_fast_and_skips_the_rest(closed_port: int) -> None:
    with XAPI(f"http://127.0.0.1:{closed_port}", client_id="cid", client_secret="s3cret-closed") as pbx:
        started = time.monotonic()
        report = pbx.doctor(timeout=5)
        elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert not report.ok
    assert [check.name for check in report.checks] == ALL_CHECKS
    connect = report["connect"]
    assert connect.status == "fail"
    assert connect.summary == f"nothing listens on 127.0.0.1 port {closed_port} (connection refused)"
    assert connect.fix is not None and "443 (hosted) or 5001 (self-hosted" in connect.fix
    later = [check for check in report.checks if check.name not in ("resolve", "connect")]
    assert {(check.status, check.summary) for check in later} == {("skip", "skipped: connect failed")}
    assert [check.name for check in report.failed] == ["connect"]
    assert_no_secret(report, "s3cret-closed")


def test_the_port_hint_names_the_other_3cx_port() -> None:
    from threecx_xapi.doctor._network import Target, port_hint

    assert port_hint(Target.of("https://pbx.example.com")) == (
        "self-hosted PBXs listen on 5001 by default: try https://pbx.example.com:5001"
    )
    assert (
        port_hint(Target.of("https://pbx.example.com:5001")) == "hosted PBXs listen on 443: try https://pbx.example.com"
    )


def test_a_port_that_never_answers_fails_within_the_timeout(silent_port: int) -> None:
    with XAPI(f"http://127.0.0.1:{silent_port}", client_id="cid", client_secret="s3cret-silent") as pbx:
        started = time.monotonic()
        report = pbx.doctor(timeout=0.5)
        elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert statuses(report)["connect"] == "ok"
    assert report["api"].status == "fail"
    assert report["api"].summary == f"no HTTP answer from 127.0.0.1:{silent_port} in 0.5 s"
    assert {report[name].status for name in ALL_CHECKS[4:]} == {"skip"}


def test_a_name_that_does_not_resolve() -> None:
    with XAPI("https://doctor-test.invalid:5001", client_id="cid", client_secret="s3cret-dns") as pbx:
        report = pbx.doctor(timeout=2)

    resolve = report["resolve"]
    assert resolve.status == "fail"
    assert resolve.summary.startswith(("doctor-test.invalid does not resolve (", "no answer from DNS for"))
    assert resolve.fix is not None and "host name in the URL" in resolve.fix
    assert {check.status for check in report.checks[1:]} == {"skip"}


def test_a_bad_secret_fails_the_token_and_still_reads_the_version(server: XAPITestServer) -> None:
    with XAPI(server.url, client_id=server.client_id, client_secret="wrong-s3cret") as pbx:
        report = pbx.doctor()

    token = report["token"]
    assert token.status == "fail"
    assert token.summary == "the PBX refused client id 'test-client' (401)"
    assert token.fix is not None and token.fix.startswith("check the client id and secret")
    assert report["version"].status == "ok"  # from the answer to the GET without a token
    assert report["clock"].details["source"] == "the PBX's Date header"
    assert {report[name].summary for name in [*ACCESS, "token-kept"]} == {"skipped: token failed"}
    assert [check.name for check in report.failed] == ["token"]
    assert methods_and_paths(server) == [("GET", "/xapi/v1/Defs"), ("POST", "/connect/token")]
    assert_no_secret(report, "wrong-s3cret", server.client_secret)


def test_a_lesser_role_is_denied_the_owner_areas_with_the_role_hint(server: XAPITestServer) -> None:
    server.add_client("ops", "s3cret-ops", role="admin")
    with XAPI(server.url, client_id="ops", client_secret="s3cret-ops") as pbx:
        report = pbx.doctor()

    assert report.capabilities == {area: area not in OWNER_AREAS for area in AREAS}
    denied = [check for check in report.checks if check.details.get("allowed") is False]
    assert [check.name for check in denied] == [
        "access.call_history",
        "access.recordings",
        "access.call_log",
        "access.backups",
    ]
    assert [check.name for check in report.failed] == [check.name for check in denied]
    for check in denied:
        assert check.status == "fail" and check.details["status_code"] == 403
        assert check.fix is not None and "System Owner role" in check.fix
    assert report["access.recordings"].summary == "denied (403 on GET /Recordings)"
    assert report["access.call_log"].summary == "denied (403 on GET /ReportCallLogData/Pbx.GetCallLogData)"
    assert {method for method, _ in methods_and_paths(server)} == {"GET", "POST"}
    assert [path for method, path in methods_and_paths(server) if method == "POST"] == ["/connect/token"]
    assert_no_secret(report, "s3cret-ops")


def test_areas_narrow_the_probes(server: XAPITestServer) -> None:
    server.add_client("ops", "s3cret-ops", role="admin")
    with XAPI(server.url, client_id="ops", client_secret="s3cret-ops") as pbx:
        report = pbx.doctor(areas=["users", "groups"])

    assert report.ok
    assert [check.name for check in report.checks] == [*ALL_CHECKS[:7], "access.users", "access.groups", "token-kept"]
    assert methods_and_paths(server)[2:] == [("GET", "/xapi/v1/Users"), ("GET", "/xapi/v1/Groups")]


def test_every_area_denied_points_at_console_restrictions() -> None:
    """A 403 on users too is not the role: the console's IP restrictions (or a disabled client) refuse us."""
    with XAPITestServer() as server, server.xapi() as pbx:
        server.faults.fail_next(403, count=10)  # the GET without a token, then the probes of the nine areas
        report = pbx.doctor()

    assert report["api"].status == "warn"
    assert report["api"].summary.endswith("answers 403 before any token is sent")
    assert report.capabilities == dict.fromkeys(AREAS, False)
    fixes = {report[name].fix for name in ACCESS}
    assert len(fixes) == 1
    (fix,) = fixes
    assert fix is not None and fix.startswith("the console's IP restrictions may refuse this machine")


def test_a_pbx_of_another_xapi_version_fails_the_version_check() -> None:
    with XAPITestServer(version="20.0.9.123") as server, server.xapi() as pbx:
        report = pbx.doctor()  # filterwarnings=error: no XAPIVersionWarning escapes either

    version = report["version"]
    assert version.status == "fail"
    assert version.summary == (
        "the PBX speaks XAPI 20.0.9 (X-3CX-Version: 20.0.9.123); threecx-xapi 20.0.10.0 was generated for XAPI 20.0.10"
    )
    assert version.fix is not None and 'pip install "threecx-xapi~=20.0.9.0"' in version.fix
    assert version.details == {"header": "20.0.9.123", "xapi_version": "20.0.10", "pbx_xapi_version": "20.0.9"}
    assert [check.name for check in report.failed] == ["version"]


def test_a_missing_version_header_is_a_warning() -> None:
    with XAPITestServer(version="") as server, server.xapi() as pbx:
        report = pbx.doctor(areas=["users"])

    assert report["version"].status == "warn"
    assert report.ok


@pytest.mark.parametrize(
    ("skew", "status", "summary"),
    [
        (600, "fail", r"the PBX's clock is 10\.0 min ahead of this machine's \(from the new token's iat\)"),
        (-100, "warn", r"the PBX's clock is (99|100|101) s behind this machine's \(from the new token's iat\)"),
    ],
)
def test_a_clock_far_off_is_read_from_the_new_tokens_iat(skew: float, status: str, summary: str) -> None:
    with XAPITestServer(clock_skew=skew) as server, server.xapi() as pbx:
        report = pbx.doctor(areas=["users"])

    clock = report["clock"]
    assert clock.status == status
    assert re.fullmatch(summary, clock.summary), clock.summary
    assert abs(clock.details["skew_seconds"] - skew) <= 1.5
    assert clock.fix is not None and "NTP" in clock.fix


def test_with_a_token_already_held_the_clock_is_read_from_the_date_header() -> None:
    with XAPITestServer(clock_skew=-900) as server, server.xapi() as pbx:
        pbx.users.list_user(top=1)  # the token is held now: the doctor reuses it, revoking nothing
        report = pbx.doctor(areas=["users"])

    assert report["token"].details["fetched"] is False
    assert report["token"].summary.startswith("client id 'test-client': a token is held")
    assert report["clock"].status == "fail"
    assert report["clock"].summary == "the PBX's clock is 15.0 min behind this machine's (from the PBX's Date header)"
    assert [r.path for r in server.requests].count("/connect/token") == 1


def test_another_process_taking_a_token_is_seen(server: XAPITestServer) -> None:
    """3CX keeps one live token per principal: a second login while we work revokes ours."""
    taken: list[int] = []

    def second_process_logs_in(request: httpx.Request) -> None:
        if request.url.path == "/xapi/v1/Users" and not taken:
            form = {"client_id": server.client_id, "client_secret": server.client_secret}
            form["grant_type"] = "client_credentials"
            taken.append(httpx.post(server.url + "/connect/token", data=form).status_code)

    http = httpx.Client(event_hooks={"request": [second_process_logs_in]})
    pbx = XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret, http_client=http)
    with http, pbx:
        report = pbx.doctor(areas=["users", "groups"])

    assert taken == [200]
    assert report["access.users"].status == "ok"  # the client refreshed and replayed once
    kept = report["token-kept"]
    assert kept.status == "warn"
    assert kept.summary.startswith("the token was replaced during this run")
    assert kept.fix is not None and "token_store=True" in kept.fix
    assert report.ok


def test_a_wrong_path_prefix_finds_no_xapi(server: XAPITestServer) -> None:
    with XAPI(server.url + "/pbx", client_id=server.client_id, client_secret=server.client_secret) as pbx:
        report = pbx.doctor()

    assert report["api"].status == "fail"
    assert report["api"].summary == f"no XAPI at {server.url}/pbx/xapi/v1/Defs?$select=Id (404)"
    assert report["token"].status == "fail" and report["token"].details == {"status_code": 404}
    assert report["token"].fix == "the URL must be the PBX's root; a reverse proxy must pass /connect/token through"


def test_a_static_token_is_used_as_given(server: XAPITestServer) -> None:
    with server.xapi() as owner:
        owner.users.list_user(top=1)
        token = owner._auth.held_token(httpx.Request("GET", server.url + "/xapi/v1/Users"))
    assert token is not None
    with XAPI(server.url, token=token) as pbx:
        report = pbx.doctor(areas=["users"])

    assert report["token"].summary == "a static token was given (no token request)"
    assert report["token-kept"].status == "skip"
    assert report["clock"].details["source"] == "the PBX's Date header"
    assert report.ok
    assert_no_secret(report, token)


# -- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"areas": ["users", "phones"]}, "unknown area 'phones': expected some of users, groups, queues"),
        ({"timeout": 0}, "timeout must be a positive number of seconds, not 0"),
        ({"timeout": float("nan")}, "timeout must be a positive number of seconds, not nan"),
    ],
)
def test_bad_input_raises_before_anything_is_sent(server: XAPITestServer, kwargs: dict[str, Any], message: str) -> None:
    with server.xapi() as pbx, pytest.raises(ValueError, match=message):
        pbx.doctor(**kwargs)
    assert len(server.requests) == 0


# -- async ----------------------------------------------------------------------------------------------------


def _comparable(report: DoctorReport) -> list[tuple[str, str, str | None]]:
    """What must agree between two runs: name and status of each check, and the fix."""
    return [(check.name, check.status, check.fix) for check in report.checks]


def test_async_doctor_says_what_the_sync_one_says(server: XAPITestServer) -> None:
    server.add_client("ops", "s3cret-ops", role="admin")
    with XAPI(server.url, client_id="ops", client_secret="s3cret-ops") as pbx:
        expected = pbx.doctor()

    async def main() -> DoctorReport:
        async with AsyncXAPI(server.url, client_id="ops", client_secret="s3cret-ops") as pbx:
            return await pbx.doctor()

    report = asyncio.run(main())
    assert _comparable(report) == _comparable(expected)
    assert report.capabilities == expected.capabilities
    assert {method for method, _ in methods_and_paths(server)} == {"GET", "POST"}


def test_async_doctor_on_a_closed_port(closed_port: int) -> None:
    async def main() -> DoctorReport:
        async with AsyncXAPI(f"http://127.0.0.1:{closed_port}", client_id="cid", client_secret="s3cret") as pbx:
            return await pbx.doctor(timeout=5)

    report = asyncio.run(main())
    assert [check.name for check in report.failed] == ["connect"]
    assert report["connect"].summary.endswith("(connection refused)")


def test_through_a_proxy_the_name_and_port_are_the_proxys(server: XAPITestServer) -> None:
    http = httpx.Client(proxy=server.url)  # the test server plays the proxy: it receives absolute-form requests
    pbx = XAPI("http://pbx.doctor.invalid:5001", client_id="cid", client_secret="s3cret-proxy", http_client=http)
    with http, pbx:
        report = pbx.doctor(areas=["users"], timeout=2)

    assert [(check.name, check.status) for check in report.checks[:2]] == [("resolve", "skip"), ("connect", "skip")]
    assert report["resolve"].summary.startswith("the HTTP client sends requests to the PBX through a proxy")
    assert [(r.method, r.path) for r in server.requests][:1] == [
        ("GET", "http://pbx.doctor.invalid:5001/xapi/v1/Defs?$select=Id")
    ]


def test_a_web_page_instead_of_the_xapi(server: XAPITestServer) -> None:
    server.faults.fail_next(200, body=b"<html>Sign in</html>", headers={"Content-Type": "text/html"})
    with server.xapi() as pbx:
        report = pbx.doctor(areas=["users"])

    api = report["api"]
    assert (api.status, api.summary) == (
        "fail",
        f"{server.url}/xapi/v1/Defs?$select=Id answers 200 text/html without a token",
    )
    assert api.fix is not None and api.fix.startswith("this is not the XAPI (a login page, a proxy")


def test_a_token_endpoint_that_redirects(server: XAPITestServer) -> None:
    server.faults.fail_next(302, headers={"Location": "https://pbx.example.com/connect/token"}, token=True)
    with server.xapi() as pbx:
        report = pbx.doctor(areas=["users"])

    token = report["token"]
    assert token.status == "fail" and token.details == {"status_code": 302}
    assert token.summary.startswith("token request for client id 'test-client' failed: POST ")
    assert "redirects to https://pbx.example.com/connect/token" in token.summary
    assert token.fix == "use the address the token endpoint points to as the URL (https://, the PBX's FQDN and port)"


def test_a_token_endpoint_that_fails(server: XAPITestServer) -> None:
    server.faults.fail_next(500, token=True)
    with server.xapi(max_retries=0) as pbx:
        report = pbx.doctor(areas=["users"])

    token = report["token"]
    assert token.status == "fail" and token.details == {"status_code": 500}
    assert token.fix is not None and token.fix.startswith("the PBX failed to issue a token")


def test_a_basic_area_denied_alone_gets_the_role_hint(server: XAPITestServer) -> None:
    server.faults.fail_next(403, path="/LicenseStatus")
    with server.xapi() as pbx:
        report = pbx.doctor(areas=["users", "licence"])

    licence = report["access.licence"]
    assert (licence.status, licence.summary) == ("fail", "denied (403 on GET /LicenseStatus)")
    assert licence.fix is not None and licence.fix.startswith("the API client's role may not read this area")


def test_the_owner_areas_are_those_the_test_server_keeps_for_owners() -> None:
    from threecx_xapi.testing._roles import ROLES

    for probe in PROBES:
        tag = registry.operation(probe.operation_id)["tag"]
        assert probe.owner_only == (tag in ROLES["admin"]), probe


@pytest.mark.parametrize(
    ("status", "count", "expected", "summary"),
    [
        (401, 2, "fail", "the token was refused (401) even after a fresh one"),
        (404, 1, "warn", "not on this PBX (404 on GET /Queues)"),
        (503, 1, "fail", "the PBX failed (503 on GET /Queues)"),
    ],
)
def test_a_probe_answered_with_another_status(
    server: XAPITestServer, status: int, count: int, expected: str, summary: str
) -> None:
    server.faults.fail_next(status, path="/Queues", count=count)  # 401 twice: the first answer and the replay
    with server.xapi() as pbx:
        report = pbx.doctor(areas=["users", "queues"])

    queues = report["access.queues"]
    assert (queues.status, queues.summary) == (expected, summary)
    assert queues.details["allowed"] is None and queues.details["status_code"] == status
    assert report["access.users"].status == "ok"
    assert report["token-kept"].status == ("warn" if status == 401 else "ok")  # a 401 makes the client refresh
    sent = [request.path.split("?")[0] for request in server.requests]
    assert sent.count("/xapi/v1/Queues") == count  # no retries


def test_a_token_provider_that_fails_mid_run_is_reported_not_raised(server: XAPITestServer) -> None:
    form = {"client_id": server.client_id, "client_secret": server.client_secret, "grant_type": "client_credentials"}
    tokens: list[str] = [httpx.post(server.url + "/connect/token", data=form).json()["access_token"]]

    def provider() -> str:
        if not tokens:
            raise RuntimeError("the vault is unreachable")
        return tokens.pop()

    server.faults.fail_next(401, path="/Users")  # the client asks the provider again, which fails
    with XAPI(server.url, token_provider=provider) as pbx:
        report = pbx.doctor(areas=["users", "groups"])

    assert report["token"].summary == "the token provider returned a token"
    users = report["access.users"]
    assert (users.status, users.summary) == ("fail", "RuntimeError: the vault is unreachable")
    assert report["access.groups"].summary == "RuntimeError: the vault is unreachable"  # the token is gone
    assert report["token-kept"].status == "skip"
