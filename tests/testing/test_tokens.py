"""The token endpoint: JWTs, one live token per principal, the minutes unit, the customer-portal variant."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from threecx_xapi.testing import SyncASGITransport, XAPITestServer

from .helpers import BASE, token_form


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _get_users(client: httpx.Client, token: str) -> httpx.Response:
    return client.get("/xapi/v1/Users?$top=1", headers={"Authorization": f"Bearer {token}"})


def test_token_response_shape_and_claims(server: XAPITestServer, anon: httpx.Client) -> None:
    response = anon.post("/connect/token", data=token_form(server))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] is None
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = _claims(body["access_token"])
    assert claims["sub"] == claims["client_id"] == server.client_id
    assert isinstance(claims["iat"], int) and isinstance(claims["exp"], int)
    assert claims["exp"] - claims["iat"] in (3600, 3601)
    assert response.headers["X-3CX-Version"] == "20.0.10"


def test_api_needs_a_valid_bearer_token(server: XAPITestServer, anon: httpx.Client) -> None:
    unauthenticated = anon.get("/xapi/v1/Users")
    assert unauthenticated.status_code == 401
    assert unauthenticated.content == b""
    token = anon.post("/connect/token", data=token_form(server)).json()["access_token"]
    assert _get_users(anon, token).status_code == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert _get_users(anon, tampered).status_code == 401
    assert _get_users(anon, "not-a-jwt").status_code == 401


def test_one_live_token_per_principal(server: XAPITestServer, anon: httpx.Client) -> None:
    first = anon.post("/connect/token", data=token_form(server)).json()["access_token"]
    assert _get_users(anon, first).status_code == 200
    second = anon.post("/connect/token", data=token_form(server)).json()["access_token"]
    assert first != second
    assert _get_users(anon, first).status_code == 401
    assert _get_users(anon, second).status_code == 200


def test_bad_credentials(server: XAPITestServer, anon: httpx.Client) -> None:
    response = anon.post("/connect/token", data=token_form(server, client_secret="wrong"))
    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized",
        "error_description": "The request requires valid user authentication.",
    }
    assert anon.post("/connect/token", data=token_form(server, client_id="other")).status_code == 401
    assert anon.post("/connect/token", data=token_form(server, grant_type="password")).status_code == 400


def test_minutes_unit_like_builds_before_20_0_9() -> None:
    server = XAPITestServer(expires_in_unit="minutes", token_lifetime=3600)
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        body = client.post("/connect/token", data=token_form(server)).json()
    assert body["expires_in"] == 60
    claims = _claims(body["access_token"])
    assert claims["exp"] - claims["iat"] in (3600, 3601)  # the JWT tells the truth in seconds


def test_customer_portal_basic_auth(server: XAPITestServer, anon: httpx.Client) -> None:
    response = anon.post(
        "/connect/token",
        data={"client_id": "customer-portal", "grant_type": "client_credentials"},
        auth=("customer-portal", server.client_secret),
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert _claims(token)["sub"] == "customer-portal"
    assert _get_users(anon, token).status_code == 200
    wrong = anon.post(
        "/connect/token",
        data={"client_id": "customer-portal", "grant_type": "client_credentials"},
        auth=("customer-portal", "nope"),
    )
    assert wrong.status_code == 401


def test_lifetime_expiry() -> None:
    server = XAPITestServer(token_lifetime=0.2)
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        token = client.post("/connect/token", data=token_form(server)).json()["access_token"]
        assert _get_users(client, token).status_code == 200
        time.sleep(0.25)
        assert _get_users(client, token).status_code == 401


def test_secrets_stay_out_of_reprs_and_the_log(server: XAPITestServer, api: httpx.Client) -> None:
    api.get("/xapi/v1/Users?$top=1")
    assert server.client_secret not in repr(server)
    token_request = server.requests.matching("/connect/token")[0]
    assert server.client_secret.encode() not in token_request.body
    assert b"client_secret=%3Credacted%3E" in token_request.body
    users_request = server.requests.matching("/Users")[0]
    assert users_request.header("authorization") == "Bearer <redacted>"


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_token_endpoint_is_post_only(anon: httpx.Client, method: str) -> None:
    assert anon.request(method, "/connect/token").status_code == 405


def test_multipart_form_data_as_3cx_web_clients_send_it(server: XAPITestServer, anon: httpx.Client) -> None:
    fields = {name: (None, value) for name, value in token_form(server).items()}
    response = anon.post("/connect/token", files=fields)
    assert response.request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert response.status_code == 200, response.text
    assert _get_users(anon, response.json()["access_token"]).status_code == 200


def test_multipart_written_by_a_browser(server: XAPITestServer, anon: httpx.Client) -> None:
    boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in token_form(server).items()
    )
    body = (parts + f"--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = anon.post("/connect/token", content=body, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"client_id":"test-client","client_secret":"test-secret","grant_type":"x"}'),
        ("text/plain", b"client_id=test-client&client_secret=test-secret&grant_type=client_credentials"),
        ("multipart/form-data", b"no boundary"),
        ("multipart/form-data; boundary=abc", b"--abc\r\nnot a part\r\n"),
    ],
    ids=["json", "text", "multipart-without-boundary", "multipart-broken"],
)
def test_other_bodies_answer_the_oauth_400(anon: httpx.Client, content_type: str, body: bytes) -> None:
    response = anon.post("/connect/token", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "application/x-www-form-urlencoded or multipart/form-data" in response.json()["error_description"]


def test_missing_fields_answer_400(server: XAPITestServer, anon: httpx.Client) -> None:
    form = token_form(server)
    del form["grant_type"]
    missing_grant = anon.post("/connect/token", data=form)
    assert missing_grant.status_code == 400
    assert missing_grant.json() == {
        "error": "invalid_request",
        "error_description": "The mandatory 'grant_type' parameter is missing.",
    }
    no_client = anon.post("/connect/token", data={"grant_type": "client_credentials"})
    assert no_client.status_code == 400
    assert no_client.json()["error_description"] == "The mandatory 'client_id' parameter is missing."


def test_basic_and_a_secret_in_the_body_is_400(server: XAPITestServer, anon: httpx.Client) -> None:
    response = anon.post("/connect/token", data=token_form(server), auth=(server.client_id, server.client_secret))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_basic_for_the_client_itself(server: XAPITestServer, anon: httpx.Client) -> None:
    response = anon.post(
        "/connect/token", data={"grant_type": "client_credentials"}, auth=(server.client_id, server.client_secret)
    )
    assert response.status_code == 200
    assert _claims(response.json()["access_token"])["sub"] == server.client_id


@pytest.mark.parametrize("path", ["/connect/token/", "/Connect/Token", "/CONNECT/TOKEN/"])
def test_the_token_path_is_matched_as_aspnet_matches_it(server: XAPITestServer, anon: httpx.Client, path: str) -> None:
    response = anon.post(path, data=token_form(server))
    assert response.status_code == 200
    assert _get_users(anon, response.json()["access_token"]).status_code == 200


def test_a_second_client_with_its_own_role(server: XAPITestServer, anon: httpx.Client) -> None:
    server.add_client("reports", "reports-secret-1", role="admin")
    response = anon.post(
        "/connect/token", data=token_form(server, client_id="reports", client_secret="reports-secret-1")
    )
    assert response.status_code == 200
    claims = _claims(response.json()["access_token"])
    assert (claims["sub"], claims["role"]) == ("reports", "admin")
    with pytest.raises(ValueError, match="unknown role"):
        server.add_client("x", "y", role="owner")
