"""Constants and small helpers shared by the test server's tests."""

from __future__ import annotations

import httpx

from threecx_xapi.testing import XAPITestServer

BASE = "http://testserver"
CALL_LOG = (
    "/xapi/v1/ReportCallLogData/Pbx.GetCallLogData(periodFrom=2024-12-01T00:00:00Z,periodTo=2024-12-31T23:59:59Z,"
    "sourceType=0,sourceFilter='',destinationType=0,destinationFilter='',callsType=0,callTimeFilterType=0,"
    "callTimeFilterFrom='0:00:0',callTimeFilterTo='0:00:0',hidePcalls=true)"
)


def token_form(server: XAPITestServer, **changes: str) -> dict[str, str]:
    form = {"client_id": server.client_id, "client_secret": server.client_secret, "grant_type": "client_credentials"}
    form.update(changes)
    return form


def fetch_token(client: httpx.Client, server: XAPITestServer) -> str:
    response = client.post("/connect/token", data=token_form(server))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
