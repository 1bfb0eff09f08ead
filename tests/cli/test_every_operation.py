"""Every operation of the registry through the command line, against the test server, held against the SDK.

Two passes over one real server on loopback, from the same seeded state: first every contract call through
``XAPI`` (the reference), then the same calls typed as command lines (:mod:`.argv`) and run in process.
For each operation the command must exit 0, send exactly the request the SDK sent (method, path with query,
JSON body), and print what the SDK returned: the wire-named JSON of the entity or page (with
``@odata.count`` when asked), or the file's bytes for downloads.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from threecx_xapi import XAPI
from threecx_xapi._token_cache import forget_all
from threecx_xapi.cli._output import odata_collection, to_wire
from threecx_xapi.testing import RecordedRequest, XAPITestServer

from ..contract.arguments import Call, build_calls, resource_method
from .argv import command_line
from .conftest import invoke, server_env

CALL = "X-CLI-Call"


def _expected_output(result: Any, count_requested: bool) -> Any:
    """What the command prints for the SDK's ``result``: JSON, file bytes, or nothing."""
    if hasattr(result, "payload"):
        return result.payload.getvalue()
    if hasattr(result, "iter_pages"):
        items = [to_wire(item) for item in result.items]
        return {"@odata.count": result.count, "value": items} if result.count is not None else items
    if result is None:
        return None
    wire = to_wire(result)
    if isinstance(wire, dict):
        wire.pop("@odata.context", None)  # metadata: printed entities can go back as --data
    collection = odata_collection(wire)
    if collection is not None:
        items, count = collection
        return {"@odata.count": count, "value": items} if count is not None else items
    return wire


def _requests(server: XAPITestServer) -> dict[str, list[tuple[str, str, Any]]]:
    grouped: dict[str, list[tuple[str, str, Any]]] = defaultdict(list)
    for request in server.requests.snapshot():
        tag = request.header(CALL)
        if tag is not None:
            grouped[tag].append(_request_key(request))
    return grouped


def _request_key(request: RecordedRequest) -> tuple[str, str, Any]:
    body = json.loads(request.body) if request.body else None
    return request.method, request.path, body


def _ordered(calls: list[Call]) -> list[Call]:
    return [c for c in calls if not c.destructive] + [c for c in calls if c.destructive]


def test_every_operation_runs_from_the_command_line(tmp_path: Path) -> None:
    with XAPITestServer() as server:
        calls = _ordered(build_calls(server.state))
        expected: dict[str, Any] = {}
        with server.xapi(max_retries=0) as pbx:
            assert isinstance(pbx, XAPI)
            for call in calls:
                result = resource_method(pbx, call.operation)(**call.kwargs, extra_headers={CALL: call.operation_id})
                expected[call.operation_id] = _expected_output(result, call.count_requested)
        sdk_requests = _requests(server)
        server.reset()
        forget_all()  # the reset revoked the token the process shares; the command line fetches its own

        outputs: dict[str, Any] = {}
        problems: list[str] = []
        env = server_env(server)
        for turn, call in enumerate(calls):
            argv = command_line(call.operation, call.kwargs, turn)
            target = tmp_path / f"{call.operation_id}.out"
            is_file = isinstance(expected[call.operation_id], bytes)
            options = ["--format", "json", *(["--output", str(target)] if is_file else [])]
            result = invoke(["--max-retries", "0", "-H", f"{CALL}: {call.operation_id}", *argv, *options], env)
            if result.exit_code != 0:
                problems.append(f"{call.operation_id}: exit {result.exit_code}: {result.stderr.strip()[:300]}")
                continue
            if is_file:
                outputs[call.operation_id] = target.read_bytes()
            else:
                outputs[call.operation_id] = json.loads(result.stdout) if result.stdout.strip() else None
        cli_requests = _requests(server)

    for call in calls:
        op = call.operation_id
        if op not in outputs:
            continue
        if cli_requests.get(op) != sdk_requests.get(op):
            problems.append(f"{op}: sent {cli_requests.get(op)!r:.300}, the SDK sent {sdk_requests.get(op)!r:.300}")
        elif outputs[op] != expected[op]:
            problems.append(f"{op}: printed {outputs[op]!r:.200}, the SDK returned {expected[op]!r:.200}")
    assert len(calls) == 601
    assert not problems, f"{len(problems)} of {len(calls)} operations differ:\n" + "\n".join(problems[:40])
