"""Faults on demand: statuses with Retry-After, latency, dropped connections, broken JSON, expiry, caps."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from threecx_xapi.testing import XAPITestServer


def test_429_with_retry_after_for_the_next_request_on_a_path(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.fail_next(429, path="/Users", retry_after=3)
    assert api.get("/xapi/v1/Groups").status_code == 200  # another path is not hit
    limited = api.get("/xapi/v1/Users?$top=1")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert limited.headers["X-3CX-Version"] == "20.0.10"
    assert api.get("/xapi/v1/Users?$top=1").status_code == 200


def test_503_for_the_next_n_requests(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.fail_next(503, count=2)
    assert server.faults.pending() == 2
    assert [api.get("/xapi/v1/Groups").status_code for _ in range(3)] == [503, 503, 200]
    assert server.faults.pending() == 0


def test_status_with_a_body(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.fail_next(502, body=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})
    response = api.get("/xapi/v1/Groups")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == "<html>Bad Gateway</html>"


def test_faults_queue_in_order(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.fail_next(503)
    server.faults.fail_next(429, retry_after=1)
    assert [api.get("/xapi/v1/Groups").status_code for _ in range(3)] == [503, 429, 200]


def test_latency(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.latency = 0.2
    started = time.perf_counter()
    assert api.get("/xapi/v1/Groups").status_code == 200
    assert time.perf_counter() - started >= 0.2
    server.faults.set_latency(0.2, path="/Users")
    started = time.perf_counter()
    api.get("/xapi/v1/Groups")
    assert time.perf_counter() - started < 0.2
    server.faults.clear()
    assert server.faults.latency == 0


def test_reset_in_process_raises_what_httpx_raises(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.reset_next(path="/Users")
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/xapi/v1/Users")
    assert api.get("/xapi/v1/Users?$top=1").status_code == 200


def test_malformed_json(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.malformed_json_next()
    response = api.get("/xapi/v1/Users")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_expire_token_now(api: httpx.Client, server: XAPITestServer) -> None:
    from .helpers import fetch_token

    assert api.get("/xapi/v1/Groups").status_code == 200
    server.faults.expire_token()
    assert api.get("/xapi/v1/Groups").status_code == 401
    api.headers["Authorization"] = f"Bearer {fetch_token(api, server)}"
    assert api.get("/xapi/v1/Groups").status_code == 200


def test_top_cap_changes(api: httpx.Client, server: XAPITestServer) -> None:
    server.faults.set_top_cap("Contacts", 10)
    server.faults.set_top_cap("Users", 5)
    assert server.faults.top_caps == {"Contacts": 10, "Users": 5}
    response = api.get("/xapi/v1/Contacts?$top=11")
    assert (
        "The limit of '10' for Top query has been exceeded. The value from the incoming request is '11'."
        in (response.json()["error"]["message"])
    )
    assert api.get("/xapi/v1/Users?$top=6").status_code == 400
    server.faults.set_top_cap("Users", None)
    assert api.get("/xapi/v1/Users?$top=6").status_code == 200
    server.faults.clear()
    assert server.faults.top_caps == {"Contacts": 100}


def test_invalid_fault_settings() -> None:
    faults = XAPITestServer().faults
    with pytest.raises(ValueError):
        faults.fail_next(99)
    with pytest.raises(ValueError):
        faults.fail_next(503, count=0)
    with pytest.raises(ValueError):
        faults.latency = -1
    with pytest.raises(ValueError):
        faults.set_top_cap("Users", 0)
