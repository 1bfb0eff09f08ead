"""The request log: no secret in any form, bodies without secrets kept byte for byte, a bounded ring."""

from __future__ import annotations

import json

import httpx
import pytest

from threecx_xapi.testing import RequestLog, SyncASGITransport, XAPITestServer

from .helpers import BASE, token_form


def _everything(server: XAPITestServer) -> bytes:
    """Every byte the log holds: paths, headers and bodies."""
    out = bytearray()
    for request in server.requests:
        out += request.path.encode() + b"\n" + request.body + b"\n"
        out += b"".join(f"{k}: {v}\n".encode() for k, v in request.headers)
    return bytes(out)


def test_a_multipart_token_request_keeps_no_secret(server: XAPITestServer, anon: httpx.Client) -> None:
    fields = {name: (None, value) for name, value in token_form(server).items()}
    token = anon.post("/connect/token", files=fields).json()["access_token"]
    recorded = server.requests.last
    assert recorded is not None
    assert b'name="client_secret"\r\n\r\n<redacted>\r\n' in recorded.body
    assert b'name="client_id"\r\n\r\ntest-client\r\n' in recorded.body
    assert server.client_secret.encode() not in _everything(server)
    assert token.encode() not in _everything(server)


@pytest.mark.parametrize("path", ["/connect/token/", "/Connect/Token", "/connect/tokens", "/xapi/v1/Users"])
def test_form_secrets_are_redacted_on_any_path(server: XAPITestServer, anon: httpx.Client, path: str) -> None:
    anon.post(path, data=token_form(server))
    recorded = server.requests.last
    assert recorded is not None
    assert recorded.body == b"client_id=test-client&client_secret=%3Credacted%3E&grant_type=client_credentials"


def test_json_bodies_query_strings_cookies_and_api_keys(server: XAPITestServer, anon: httpx.Client) -> None:
    anon.post("/connect/token", json={"client_id": "test-client", "client_secret": "another-secret-value"})
    anon.patch(
        "/xapi/v1/Users(1)?access_token=abc.def&password=hunter22&$top=1",
        json={"FirstName": "Ada", "AuthPassword": "sip-pass-123", "Phones": [{"Settings": {"Password": "p4ssw0rd!"}}]},
        headers={"Cookie": "session=opaque-cookie-value", "X-Api-Key": "api-key-value-9", "Authorization": "Bearer x"},
    )
    logged = _everything(server)
    for secret in (b"another-secret-value", b"abc.def", b"hunter22", b"sip-pass-123", b"p4ssw0rd!"):
        assert secret not in logged
    for secret in (b"opaque-cookie-value", b"api-key-value-9"):
        assert secret not in logged
    patch = server.requests.matching("/Users(1)", "PATCH")[0]
    assert patch.path == "/xapi/v1/Users(1)?access_token=%3Credacted%3E&password=%3Credacted%3E&$top=1"
    assert json.loads(patch.body) == {
        "FirstName": "Ada",
        "AuthPassword": "<redacted>",
        "Phones": [{"Settings": {"Password": "<redacted>"}}],
    }
    assert patch.header("cookie") == "<redacted>"
    assert patch.header("x-api-key") == "<redacted>"
    assert patch.header("authorization") == "Bearer <redacted>"


def test_known_secrets_are_scrubbed_wherever_they_are(server: XAPITestServer, anon: httpx.Client) -> None:
    token = anon.post("/connect/token", data=token_form(server)).json()["access_token"]
    anon.post("/xapi/v1/Nope", content=f"note {server.client_secret} and {token}".encode(), headers={"X-Note": token})
    assert server.client_secret.encode() not in _everything(server)
    assert token.encode() not in _everything(server)
    recorded = server.requests.last
    assert recorded is not None and recorded.body == b"note <redacted> and <redacted>"


def test_bodies_without_secrets_are_kept_byte_for_byte(api: httpx.Client, server: XAPITestServer) -> None:
    body = b'{ "FirstName" : "Ada",\n "LastName": "Lovelace" }'
    api.patch("/xapi/v1/Users(1)", content=body, headers={"Content-Type": "application/json"})
    recorded = server.requests.last
    assert recorded is not None and recorded.body == body


def test_the_log_is_a_bounded_ring() -> None:
    server = XAPITestServer(request_log_size=3)
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        for index in range(5):
            client.get(f"/xapi/v1/Users({index})")
    assert [r.path for r in server.requests] == ["/xapi/v1/Users(2)", "/xapi/v1/Users(3)", "/xapi/v1/Users(4)"]
    assert server.requests[-1].path == "/xapi/v1/Users(4)"
    assert server.requests.capacity == 3
    assert XAPITestServer().requests.capacity == 5000
    with pytest.raises(ValueError):
        RequestLog(0)


def test_a_secret_beside_a_lone_surrogate(api: httpx.Client, server: XAPITestServer) -> None:
    body = b'{"FirstName": "a\\ud800", "AuthPassword": "sip-pass-123"}'
    response = api.patch("/xapi/v1/Users(1)", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 204
    recorded = server.requests.last
    assert recorded is not None
    assert recorded.body == b'{"FirstName":"a\\ud800","AuthPassword":"<redacted>"}'
