"""The contract run: one real test server, every operation through ``XAPI`` and ``AsyncXAPI``, every request checked.

Order of events, and why:

1. One :class:`~threecx_xapi.testing.XAPITestServer` on a loopback port (uvicorn, real HTTP), so the SDK's
   whole stack runs: httpx, auth, URL building, body checks, parsing.
2. The sync pass: every operation once through ``XAPI``, one after the other. Destructive operations
   (``DELETE``, ``*Delete*``, ``Drop*``, ``Purge*``) run last, on keys reserved for them.
3. ``server.reset()``: the seeded state again, so the async pass starts from what the sync pass saw and must
   send the same requests.
4. The async pass: every operation once through ``AsyncXAPI`` in one event loop, the non-destructive ones
   concurrently (which also exercises the single-flight token fetch), then the destructive ones.
5. Every request the server recorded is matched to its call by a header the suite adds (``X-Contract-Call``),
   validated against the original document (:mod:`.wire`), and every result is held against the generated
   method's declared type and the response it came from (:mod:`.results`).

``max_retries=0``: a retry would hide the first failure. Responses are captured with httpx event hooks on the
clients' own ``httpx`` clients, so the check sees exactly what the SDK parsed.
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import httpx

from threecx_xapi import XAPI, APIStatusError, AsyncXAPI
from threecx_xapi._token_cache import forget_all
from threecx_xapi.testing import RecordedRequest, XAPITestServer

from . import results
from .arguments import Call, build_calls, resource_method
from .wire import API_PREFIX, WireValidator, check_document, default_spec_path

__all__ = ["CALL_HEADER", "main", "run"]

CALL_HEADER = "X-Contract-Call"
CONCURRENCY = 16  # async calls in flight at once
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass
class Attempt:
    """One call through one client: its result or error, and the responses the client received for it."""

    result: object = None
    error: BaseException | None = None
    responses: list[httpx.Response] = field(default_factory=list)


@dataclass
class Pass:
    """The calls of one client (``sync`` or ``async``) and the requests the server recorded meanwhile."""

    mode: str
    client: XAPI | AsyncXAPI  # closed by now; kept to read its generated methods' declared return types
    attempts: dict[str, Attempt]
    requests: list[RecordedRequest]
    _by_call: dict[str | None, list[RecordedRequest]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for request in self.requests:
            self._by_call.setdefault(request.header(CALL_HEADER), []).append(request)

    def requests_of(self, operation_id: str) -> list[RecordedRequest]:
        """The requests the server received for one call, in order (a replay after a 401 is a second one)."""
        return self._by_call.get(operation_id, [])


@dataclass(frozen=True)
class Verdict:
    """An operation's outcome: passed when nothing, sync or async, gave a reason to fail it."""

    operation_id: str
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.reasons


class _ResponseCapture:
    """httpx response hooks: each response of a tagged request, filed under its operation id."""

    def __init__(self) -> None:
        self.by_call: dict[str, list[httpx.Response]] = defaultdict(list)

    def __call__(self, response: httpx.Response) -> None:
        tag = response.request.headers.get(CALL_HEADER)
        if tag is not None:
            self.by_call[tag].append(response)

    async def hook(self, response: httpx.Response) -> None:
        self(response)


def _ordered(calls: Sequence[Call]) -> tuple[list[Call], list[Call]]:
    """The calls that leave records alone, then the destructive ones (which run last, one at a time)."""
    return [c for c in calls if not c.destructive], [c for c in calls if c.destructive]


def run_sync(server: XAPITestServer, calls: Sequence[Call]) -> Pass:
    """Every call through ``XAPI``, in order."""
    capture = _ResponseCapture()
    attempts: dict[str, Attempt] = {}
    with (
        httpx.Client(timeout=TIMEOUT, event_hooks={"response": [capture]}) as http,
        server.xapi(http_client=http, max_retries=0) as pbx,
    ):
        first, last = _ordered(calls)
        for call in (*first, *last):
            attempt = attempts[call.operation_id] = Attempt()
            try:
                method = resource_method(pbx, call.operation)
                attempt.result = method(**call.kwargs, extra_headers={CALL_HEADER: call.operation_id})
            except Exception as exc:  # reported per operation, never swallowed
                attempt.error = exc
            attempt.responses = capture.by_call[call.operation_id]
    return Pass("sync", pbx, attempts, server.requests.snapshot())


async def run_async(server: XAPITestServer, calls: Sequence[Call]) -> Pass:
    """Every call through ``AsyncXAPI`` in one event loop: concurrently, then the destructive ones in order."""
    capture = _ResponseCapture()
    attempts: dict[str, Attempt] = {}
    gate = asyncio.Semaphore(CONCURRENCY)
    async with (
        httpx.AsyncClient(timeout=TIMEOUT, event_hooks={"response": [capture.hook]}) as http,
        server.async_xapi(http_client=http, max_retries=0) as pbx,
    ):

        async def one(call: Call) -> None:
            attempt = attempts[call.operation_id] = Attempt()
            async with gate:
                try:
                    method = resource_method(pbx, call.operation)
                    attempt.result = await method(**call.kwargs, extra_headers={CALL_HEADER: call.operation_id})
                except Exception as exc:  # reported per operation, never swallowed
                    attempt.error = exc
            attempt.responses = capture.by_call[call.operation_id]

        first, last = _ordered(calls)
        await asyncio.gather(*(one(call) for call in first))
        for call in last:
            await one(call)
    return Pass("async", pbx, attempts, server.requests.snapshot())


def judge(calls: Sequence[Call], passes: Sequence[Pass], validator: WireValidator) -> list[Verdict]:
    """A verdict per operation: every call succeeded, every request validated, every result has the right type."""
    verdicts = []
    for call in calls:
        reasons: list[str] = []
        sent: dict[str, list[tuple[str, str, bytes]]] = {}
        for run in passes:
            requests = run.requests_of(call.operation_id)
            sent[run.mode] = [(r.method, r.path, r.body) for r in requests]
            reasons.extend(f"{run.mode}: {r}" for r in _call_problems(call, run, requests, validator))
        if len(set(map(tuple, sent.values()))) > 1:
            reasons.append("sync and async sent different requests: " + " vs ".join(_lines(sent.values())))
        verdicts.append(Verdict(call.operation_id, tuple(reasons)))
    return verdicts


def _call_problems(call: Call, run: Pass, requests: list[RecordedRequest], validator: WireValidator) -> Iterable[str]:
    attempt = run.attempts[call.operation_id]
    if not requests:
        yield "no request reached the server" + (f" ({_error_text(attempt.error)})" if attempt.error else "")
        return
    for request in requests:
        problem = validator.problem(request, call.operation_id)
        if problem is not None:
            yield f"invalid request: {problem}"
    if attempt.error is not None:
        yield f"{requests[-1].method} {requests[-1].decoded_path} raised {_error_text(attempt.error)}"
        return
    if not attempt.responses:
        yield "no response was captured"
        return
    declaration = results.declared(resource_method(run.client, call.operation))
    problem = results.problem(
        attempt.result,
        declaration,
        attempt.responses[-1],
        statuses=list(call.operation["response"]["status"]),
        count_requested=call.count_requested,
    )
    if problem is not None:
        yield f"{requests[-1].method} {requests[-1].decoded_path}: {problem}"


def _error_text(error: BaseException | None) -> str:
    if error is None:
        return ""
    if isinstance(error, APIStatusError):
        body = error.response.text[:300] if error.response is not None else ""
        return f"{type(error).__name__} {error.status_code}: {body}"
    return f"{type(error).__name__}: {error}"


def _lines(values: Iterable[list[tuple[str, str, bytes]]]) -> list[str]:
    return [", ".join(f"{m} {p} {b[:80]!r}" for m, p, b in requests) or "nothing" for requests in values]


def _strays(passes: Sequence[Pass]) -> list[str]:
    """Requests no call claims: anything but token requests means the suite lost track of what was sent."""
    stray = []
    for run in passes:
        for r in run.requests:
            if r.header(CALL_HEADER) is None and r.path.startswith(API_PREFIX):
                stray.append(f"{run.mode}: untagged request {r.method} {r.decoded_path}")
    return stray


def run(out: TextIO = sys.stdout) -> int:
    """The whole contract run; prints one line per failed operation, then ``N passed, M failed``; 1 on failure.

    2 (and nothing on ``out``) when the document to validate against is missing or is not the client's.
    """
    spec = default_spec_path()
    unusable = check_document(spec)
    if unusable is not None:
        print(f"error: {unusable}", file=sys.stderr)
        return 2
    validator = WireValidator(spec)
    with XAPITestServer() as server:
        calls = build_calls(server.state)
        sync = run_sync(server, calls)
        server.reset()  # revokes the tokens: the async pass must not start with the sync pass's cached one
        forget_all()
        async_ = asyncio.run(run_async(server, calls))
    passes = (sync, async_)
    verdicts = judge(calls, passes, validator)
    failed = [v for v in verdicts if not v.passed]
    for verdict in failed:
        print(f"{verdict.operation_id}: {' | '.join(_one_line(r) for r in verdict.reasons)}", file=out)
    strays = _strays(passes)
    for stray in strays:
        print(_one_line(stray), file=out)
    print(f"{len(verdicts) - len(failed)} passed, {len(failed)} failed", file=out)
    return 1 if failed or strays else 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main() -> int:
    """``python -m tests.contract``."""
    return run()
