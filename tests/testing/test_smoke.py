"""Coverage: every GET operation of the registry, called through its raw generated module, answers 2xx.

Arguments are the simplest that fit: an existing key of the entity set for keys, an existing ``Number`` for
alternate keys, ``'x'``, ``1``, ``false``, a fixed date-time and uuid for function parameters. The contract suite
checks the answers against the document; this only proves that nothing is left unrouted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from threecx_xapi import _registry as registry
from threecx_xapi.testing import XAPITestServer

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
    """Every GET through ``AsyncXAPI`` in process: a status error or a parse error is a failure to report."""
    failures: list[str] = []
    called = 0
    async with server.async_xapi(max_retries=0) as pbx:
        for operation in registry.operations():
            if operation["method"] != "GET":
                continue
            called += 1
            method = getattr(getattr(pbx, operation["resource"]), operation["function"])
            args = [_argument(server, operation, p) for p in operation["parameters"] if p["location"] == "path"]
            try:
                await method(*args)
            except Exception as exc:  # a failure to report, not to stop on
                failures.append(f"{operation['operation_id']}: {type(exc).__name__}: {exc}")
    return called, failures


def test_every_get_operation_answers_2xx() -> None:
    server = XAPITestServer()
    called, failures = asyncio.run(_call_every_get(server))
    assert called == sum(1 for op in registry.operations() if op["method"] == "GET")
    assert called > 300
    assert failures == []
