"""Coverage: every GET operation of the registry, called through its raw generated module, answers 2xx.

Arguments are the simplest that fit: an existing key of the entity set for keys, an existing ``Number`` for
alternate keys, ``'x'``, ``1``, ``false``, a fixed date-time and uuid for function parameters. The contract suite
checks the answers against the document; this only proves that nothing is left unrouted.
"""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
from threecx_xapi_client.client import AuthenticatedClient

from threecx_xapi import _registry as registry
from threecx_xapi.testing import XAPITestServer

from .helpers import BASE, token_form

_SIMPLE: dict[str, object] = {
    "string": "x",
    "int": 1,
    "bool": False,
    "datetime": datetime(2025, 1, 1, tzinfo=timezone.utc),
    "uuid": uuid.UUID(int=1),
}


def _argument(server: XAPITestServer, operation: Mapping[str, Any], parameter: Mapping[str, Any]) -> object:
    entity_set = str(operation["path"]).strip("/").split("/")[0].split("(")[0]
    if entity_set in server.state.catalog.entity_sets:
        if parameter["kind"] == "key":
            return server.state.keys(entity_set)[0]
        if parameter["kind"] == "alternate-key" and parameter["name"] == "Number":
            return server.state.records(entity_set)[0]["Number"]
    return _SIMPLE[parameter["literal"]]


async def _call_every_get(server: XAPITestServer) -> tuple[int, list[str]]:
    transport = httpx.ASGITransport(app=server.asgi_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as raw:
        token = (await raw.post("/connect/token", data=token_form(server))).json()["access_token"]
    client = AuthenticatedClient(base_url=f"{BASE}/xapi/v1", token=token)
    client.set_async_httpx_client(
        httpx.AsyncClient(transport=transport, base_url=f"{BASE}/xapi/v1", headers={"Authorization": f"Bearer {token}"})
    )
    failures: list[str] = []
    called = 0
    async with client:
        for operation in registry.operations():
            if operation["method"] != "GET":
                continue
            called += 1
            module = importlib.import_module(operation["module"])
            args = [_argument(server, operation, p) for p in operation["parameters"] if p["location"] == "path"]
            try:
                response = await module.asyncio_detailed(*args, client=client)
            except Exception as exc:  # a parse error is a failure to report, not to stop on
                failures.append(f"{operation['operation_id']}: {type(exc).__name__}: {exc}")
                continue
            if not 200 <= response.status_code < 300:
                failures.append(f"{operation['operation_id']}: {response.status_code} {response.content[:200]!r}")
    return called, failures


def test_every_get_operation_answers_2xx() -> None:
    server = XAPITestServer()
    called, failures = asyncio.run(_call_every_get(server))
    assert called == sum(1 for op in registry.operations() if op["method"] == "GET")
    assert called > 300
    assert failures == []
