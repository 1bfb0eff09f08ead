"""The test server's options for staging a doctor's failures, read on the wire: another X-3CX-Version, a clock
ahead (token claims and Date), HTTPS; and their bad values refused."""

from __future__ import annotations

import email.utils
import ssl
import time

import httpx
import pytest

from threecx_xapi._jwt import jwt_claims
from threecx_xapi.testing import XAPITestServer

from .conftest import TLSServer


def test_version_and_clock_skew_on_the_wire() -> None:
    with XAPITestServer(version="20.0.8.9", clock_skew=3600) as server:
        form = {"client_id": server.client_id, "client_secret": server.client_secret}
        form["grant_type"] = "client_credentials"
        answer = httpx.post(server.url + "/connect/token", data=form)
        now = time.time()

    assert answer.headers["X-3CX-Version"] == "20.0.8.9"
    assert answer.headers.get_list("Date") == [answer.headers["Date"]]  # one Date, the PBX's own
    assert abs(email.utils.parsedate_to_datetime(answer.headers["Date"]).timestamp() - (now + 3600)) < 3
    claims = jwt_claims(answer.json()["access_token"])
    assert claims is not None
    iat, exp = claims["iat"], claims["exp"]
    assert isinstance(iat, int) and isinstance(exp, int)
    assert abs(iat - (now + 3600)) < 3 and exp - iat in (3600, 3601)


def test_a_server_without_skew_keeps_uvicorns_date(server: XAPITestServer) -> None:
    answer = httpx.get(server.url + "/xapi/v1/Defs")
    assert answer.status_code == 401
    assert len(answer.headers.get_list("Date")) == 1
    assert answer.headers["X-3CX-Version"] == "20.0.10"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"clock_skew": float("inf")}, "clock_skew must be a finite number of seconds"),
        ({"ssl_keyfile": "key.pem"}, "ssl_keyfile needs ssl_certfile"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        XAPITestServer(**options)  # type: ignore[arg-type]


def test_with_a_certificate_the_url_is_https(tls_server: TLSServer, ca_file: str) -> None:
    server = tls_server("127.0.0.1")
    assert server.url == f"https://127.0.0.1:{server.port}"
    assert httpx.get(server.url + "/xapi/v1/Defs", verify=ssl.create_default_context(cafile=ca_file)).status_code == 401
