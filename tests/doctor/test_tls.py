"""The tls check for real: the test server over HTTPS with certificates from a trustme CA (valid, expiring,
expired, for another host, from an untrusted CA), and each scheme spoken to the other kind of port."""

from __future__ import annotations

import pytest

from threecx_xapi import XAPI
from threecx_xapi.doctor import DoctorReport
from threecx_xapi.testing import XAPITestServer

from .conftest import ALL_CHECKS, TLSServer


def doctor(url: str, *, verify: str | bool | None = None, secret: str = "test-secret") -> DoctorReport:
    options = {} if verify is None else {"verify": verify}
    with XAPI(url, client_id="test-client", client_secret=secret, **options) as pbx:  # type: ignore[arg-type]
        return pbx.doctor(areas=["users"], timeout=5)


def test_a_trusted_certificate_passes_and_is_described(tls_server: TLSServer, ca_file: str) -> None:
    server = tls_server("127.0.0.1", valid_days=200)
    report = doctor(server.url, verify=ca_file)

    tls = report["tls"]
    assert tls.status == "ok"
    assert tls.summary.startswith("TLSv1.3, certificate for 127.0.0.1 valid until ")
    assert tls.summary.endswith("(200 days)") or tls.summary.endswith("(199 days)")
    assert tls.details["verified"] is True and tls.details["names"] == ["127.0.0.1"]
    assert report.ok and report["token"].status == "ok"


def test_a_certificate_about_to_expire_warns(tls_server: TLSServer, ca_file: str) -> None:
    server = tls_server("127.0.0.1", valid_days=3.2)
    report = doctor(server.url, verify=ca_file)

    tls = report["tls"]
    assert tls.status == "warn"
    assert tls.summary.startswith("certificate for 127.0.0.1 expires in 3 days (")
    assert tls.fix == "renew the PBX's certificate before it expires, or every client will refuse it"
    assert report.ok and report["access.users"].status == "ok"  # a warning stops nothing


def test_an_expired_certificate_fails_and_stops_the_run(tls_server: TLSServer, ca_file: str) -> None:
    server = tls_server("127.0.0.1", expired=True)
    report = doctor(server.url, verify=ca_file, secret="s3cret-tls")

    tls = report["tls"]
    assert (tls.status, tls.summary) == ("fail", "the PBX's certificate has expired")
    assert tls.details["verify_code"] == 10
    assert tls.fix is not None and tls.fix.startswith("renew the certificate")
    assert [check.name for check in report.checks] == [*ALL_CHECKS[:7], "access.users", "token-kept"]
    assert {check.summary for check in report.checks[3:]} == {"skipped: tls failed"}
    assert len(server.requests) == 0  # the handshake failed: not even the GET was received, let alone a secret
    assert "s3cret-tls" not in str(report)


@pytest.mark.parametrize(("host", "code"), [("127.0.0.1", 64), ("localhost", 62)])
def test_a_certificate_for_another_host_fails(tls_server: TLSServer, ca_file: str, host: str, code: int) -> None:
    server = tls_server("pbx.example.com")
    report = doctor(f"https://{host}:{server.port}", verify=ca_file)

    tls = report["tls"]
    assert (tls.status, tls.summary) == ("fail", f"the PBX's certificate is not for {host}")
    assert tls.details["verify_code"] == code
    assert tls.fix == "use the name the certificate is for (the PBX's FQDN) in the URL, not an IP address or an alias"


def test_a_certificate_from_an_unknown_ca_fails_with_the_ca_bundle_hint(tls_server: TLSServer) -> None:
    server = tls_server("127.0.0.1")
    report = doctor(server.url)  # the system's CAs only

    tls = report["tls"]
    assert tls.status == "fail"
    assert tls.summary.startswith("the PBX's certificate is not signed by a CA this machine trusts (")
    assert tls.fix is not None and "verify='ca.pem'" in tls.fix and "--ca-bundle ca.pem" in tls.fix


def test_verification_turned_off_is_a_warning(tls_server: TLSServer) -> None:
    server = tls_server("pbx.example.com")
    report = doctor(server.url, verify=False)

    tls = report["tls"]
    assert tls.status == "warn"
    assert tls.summary == "TLSv1.3 without certificate verification (verify=False)"
    assert report.ok


def test_https_to_a_plain_http_port(server: XAPITestServer) -> None:
    report = doctor(server.url.replace("http://", "https://"))

    tls = report["tls"]
    assert tls.status == "fail"
    assert tls.summary == f"127.0.0.1:{server.port} does not speak TLS (WRONG_VERSION_NUMBER)"
    assert tls.fix is not None and tls.fix.startswith("use http:// if the PBX really serves plain HTTP there")


def test_http_to_a_tls_port(tls_server: TLSServer) -> None:
    server = tls_server("127.0.0.1")
    report = doctor(server.url.replace("https://", "http://"))

    assert report["tls"].status == "skip"
    api = report["api"]
    assert api.status == "fail"
    assert api.summary == f"127.0.0.1:{server.port} closed the connection without an HTTP answer"
    assert api.fix is not None and api.fix.startswith("if the PBX speaks HTTPS on this port, use https://")
