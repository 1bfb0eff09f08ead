"""Faults on demand: statuses with Retry-After, latency, dropped connections, broken JSON, expiry, caps."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from threecx_xapi import APIStatusError
from threecx_xapi.testing import SyncASGITransport, XAPITestServer

from .helpers import BASE, fetch_token, token_form


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


def test_fail_next_hits_the_first_api_request_not_the_token_request(xapi_server: XAPITestServer) -> None:
    """The natural test: a fresh client fetches a token first; the fault is meant for the API call."""
    xapi_server.faults.fail_next(500)
    with xapi_server.xapi(max_retries=0) as pbx:
        with pytest.raises(APIStatusError) as caught:
            pbx.users.list_user(top=1)
        assert caught.value.status_code == 500
        assert [r.path.split("?")[0] for r in xapi_server.requests] == ["/connect/token", "/xapi/v1/Users"]
        assert len(pbx.users.list_user(top=1).items) == 1


def test_token_faults_are_asked_for_explicitly(server: XAPITestServer, anon: httpx.Client) -> None:
    server.faults.fail_next(503, token=True)
    server.faults.malformed_json_next(token=True)
    assert anon.get("/xapi/v1/Users").status_code == 401  # an API request leaves token faults alone
    assert anon.post("/connect/token", data=token_form(server)).status_code == 503
    malformed = anon.post("/connect/token", data=token_form(server))
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    assert anon.post("/connect/token", data=token_form(server)).status_code == 200
    assert server.faults.pending() == 0


def test_delay_next_and_a_default_latency() -> None:
    server = XAPITestServer(latency=0.15)
    assert server.faults.latency == 0.15
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, server)}"
        started = time.perf_counter()
        client.get("/xapi/v1/Groups")
        assert time.perf_counter() - started >= 0.15
        server.faults.latency = 0
        server.faults.delay_next(0.2, path="/Groups")
        client.get("/xapi/v1/Users?$top=1")
        assert server.faults.pending() == 1  # another path: the delay still waits for its request
        started = time.perf_counter()
        client.get("/xapi/v1/Groups")
        assert time.perf_counter() - started >= 0.2
        assert server.faults.pending() == 0
    server.faults.clear()
    assert server.faults.latency == 0.15  # back to the server's default
    with pytest.raises(ValueError):
        server.faults.delay_next(-1)
    with pytest.raises(ValueError):
        XAPITestServer(latency=-0.1)
