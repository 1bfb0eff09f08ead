"""The facade in use: its cold import against ``import httpx``, and its per-call overhead against a bare
``httpx.Client`` on a real HTTP server.

Import (``--only import-facade``): the method of ``bench.imports`` (a fresh ``python -I -c`` per sample,
``perf_counter`` around the import statement alone, targets interleaved); when the ``import`` benchmark
runs in the same invocation its ``import threecx_xapi`` row already is this measurement and gives the goal.

Call (``--only call``): a stdlib ``ThreadingHTTPServer`` in a child process on 127.0.0.1 answers
``POST /connect/token`` with a token and ``GET /xapi/v1/Users(1)`` (with that bearer token) with a small
User. It is HTTP/1.1 with Content-Length, so both clients keep one connection open for the whole run.
Chosen over uvicorn + starlette for less work per request (so the ratio is diluted less by the server) and
a child process over a thread so that the server's CPU time is not in the client's process time and the
two never share a GIL. The handler buffers its writes so that each answer leaves in one segment: unbuffered,
``http.server`` writes headers and body apart, the body then waits for a delayed ACK (about 40 ms a call on
loopback with Nagle on) or, with Nagle off, the client now and then needs a second read (a few µs of noise
that landed on whichever contender was slower).
The two contenders are (a) ``httpx.Client().get(url, headers={"Authorization": ...})`` and (b)
``XAPI(url, client_id=..., client_secret=...).users.get_user(1)``, parsed into the ``User`` model. After a
warm-up (which also fetches the token), they run in alternating blocks of calls, the order flipped every
round; each block gives one sample of wall time per call (and of this process's CPU time per call, which
load on a shared machine hardly moves). The ratio is of the medians. When it misses the goal, a cProfile of
our path is written to the temp directory and its top costs in our code are printed as notes.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from .imports import BASELINE, ImportFailed, import_once
from .report import Goal, Row, Section
from .timing import PYTHON, REPO, median, progress, subprocess_env

__all__ = ["facade_import_goal", "measure_calls", "measure_facade_import", "serve"]

FACADE = "threecx_xapi"
IMPORT_GOAL = 1.5
CALL_GOAL = 1.2

TOKEN = "bench-token"
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"
TOKEN_PATH = "/connect/token"
USER_PATH = "/xapi/v1/Users(1)"
USER = {"Id": 1, "Number": "100", "FirstName": "Ada"}
TOKEN_BODY = json.dumps({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}).encode()
USER_BODY = json.dumps(USER).encode()
WARM_UP = 200
PROFILE_TOP = 8
SERVER_START_TIMEOUT = 10.0


# --- cold import ----------------------------------------------------------------------------------------


def _import_goal(value: float | None, reason: str = "") -> Goal:
    name = f"import {FACADE}/{BASELINE}"
    if value is None:
        return Goal(name, None, f"< {IMPORT_GOAL}", None, reason=reason)
    return Goal(name, value, f"< {IMPORT_GOAL}", value < IMPORT_GOAL)


def facade_import_goal(imports: Section) -> Goal:
    """The goal line from the ``import`` benchmark's own ``import threecx_xapi`` row (same run, same baseline)."""
    for row in imports.rows:
        if row.label == f"import {FACADE}" and row.ratio is not None:
            return _import_goal(row.ratio)
    return _import_goal(None, "not measured")


def measure_facade_import(runs: int) -> Section:
    """``runs`` interleaved cold imports of ``threecx_xapi`` and of ``httpx``; the ratio is of the medians."""
    section = Section("cold import (facade)", "perf_counter around the import statement in a fresh `python -I -c`")
    targets = [BASELINE, FACADE]
    try:
        for module in targets:  # untimed warm-up: writes any missing bytecode
            import_once(module)
    except ImportFailed as exc:
        section.notes.append(f"not importable: {exc}")
        section.goals.append(_import_goal(None, "no import"))
        return section
    samples: dict[str, list[float]] = {module: [] for module in targets}
    modules: dict[str, int] = {}
    for i in range(runs):
        progress(f"facade import round {i + 1}/{runs}")
        for module in targets if i % 2 == 0 else targets[::-1]:
            sample = import_once(module)
            samples[module].append(sample.seconds)
            modules[module] = sample.modules
    base = median(samples[BASELINE])
    for module in targets:
        ratio = median(samples[module]) / base
        section.rows.append(Row(f"import {module}", samples[module], ratio, f"{modules[module]} modules"))
    section.goals.append(_import_goal(median(samples[FACADE]) / base))
    return section


# --- the server ---------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """The two answers the benchmark needs; anything else is a 404, a wrong or missing token a 401."""

    protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
    wbufsize = 64 * 1024  # headers and body leave in one write (the handler flushes after each request) ...
    disable_nagle_algorithm = True  # ... and nothing waits for a delayed ACK

    def do_GET(self) -> None:
        if self.path != USER_PATH:
            self._answer(404, b"")
        elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, b"")
        else:
            self._answer(200, USER_BODY)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(200 if self.path == TOKEN_PATH else 404, TOKEN_BODY if self.path == TOKEN_PATH else b"")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve() -> None:
    """Serve on an ephemeral port of 127.0.0.1 until killed; the port is the first line on stdout."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def _server() -> Iterator[str]:
    """The server in a child process (``python -m bench.facade``): yields its base URL, kills it after."""
    child = subprocess.Popen(
        [PYTHON, "-m", "bench.facade"], cwd=REPO, env=subprocess_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"the benchmark server did not start (exit {child.poll()})")
        _wait_listening(int(line))
        yield f"http://127.0.0.1:{line}"
    finally:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# --- per-call overhead ------------------------------------------------------------------------------------


@dataclass
class _Samples:
    wall: list[float] = field(default_factory=list)  # seconds per call, one sample per block
    cpu: list[float] = field(default_factory=list)


def _block(call: Callable[[], object], calls: int, into: _Samples) -> None:
    cpu_started = time.process_time()
    started = time.perf_counter()
    for _ in range(calls):
        call()
    elapsed = time.perf_counter() - started
    into.cpu.append((time.process_time() - cpu_started) / calls)
    into.wall.append(elapsed / calls)


def _our_files() -> tuple[str, ...]:
    """Where our code lives: the facade (src/) and the generated client, as the profiler names them."""
    import threecx_xapi_client

    import threecx_xapi

    return tuple(str(Path(module.__file__ or "").parent) + os.sep for module in (threecx_xapi, threecx_xapi_client))


ProfileKey = tuple[str, int, str]  # file, line, function
ProfileTable = dict[ProfileKey, tuple[Any, ...]]  # -> (primitive calls, calls, self time, time with callees, ...)
WAITS = ("<method 'recv' of '_socket.socket' objects>", "<method 'send' of '_socket.socket' objects>")


def _profile(call: Callable[[], object], calls: int, name: str) -> tuple[str, ProfileTable]:
    """cProfile ``calls`` calls into a .prof file in the temp directory; its path and its table."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    handle, path = tempfile.mkstemp(prefix=f"bench-call-{name}-", suffix=".prof")
    os.close(handle)
    profiler.dump_stats(path)
    # pstats keeps its table in an attribute typeshed does not declare
    return path, cast(ProfileTable, pstats.Stats(path).stats)  # type: ignore[attr-defined]


def _is_ours(file: str, own_files: tuple[str, ...]) -> bool:
    """Our code: src/ and generated/, and the ``__init__`` attrs compiles for each model (a pseudo-file)."""
    return file.startswith(own_files) or (file.startswith("<attrs generated") and "threecx_xapi_client" in file)


def _where(key: ProfileKey) -> str:
    file, line, name = key
    if file == "~" or file.startswith("<"):  # a builtin, or code compiled from a string
        return name if file == "~" else f"{name} ({file})"
    inside = file.startswith(str(REPO) + os.sep)
    return f"{name} ({os.path.relpath(file, REPO) if inside else os.sep.join(Path(file).parts[-2:])}:{line})"


def _profile_notes(ours: Callable[[], object], bare: Callable[[], object], calls: int) -> list[str]:
    """Where our path spends its time, per call: our own code's top self-times, then whatever else (httpx,
    builtins, import machinery) costs more than in the bare path. Socket send/recv are left out of the latter:
    under the profiler they measure waiting for the server, not work."""
    ours_path, mine = _profile(ours, calls, "ours")
    bare_path, theirs = _profile(bare, calls, "bare")
    own_files = _our_files()

    def per_call(seconds: float) -> str:
        return f"{seconds / calls * 1e6:.1f} µs"

    own = sorted(((k, e) for k, e in mine.items() if _is_ours(k[0], own_files)), key=lambda item: -item[1][2])
    grown = sorted(
        ((entry[2] - theirs.get(key, (0, 0, 0.0))[2], key) for key, entry in mine.items()),
        reverse=True,
    )
    grown = [(delta, key) for delta, key in grown if not _is_ours(key[0], own_files) and key[2] not in WAITS]
    total, base = (sum(entry[2] for entry in table.values()) for table in (mine, theirs))
    notes = [
        f"profiled {calls} calls each ({ours_path}, {bare_path}; `python -m pstats`): ours {per_call(total)} a call "
        f"under the profiler, bare {per_call(base)}; {per_call(sum(e[2] for _, e in own))} of ours in our own code",
        "our code, self time per call:",
    ]
    notes += [f"  {per_call(e[2])} {_where(k)}, {per_call(e[3])} with callees" for k, e in own[:PROFILE_TOP]]
    notes.append("elsewhere, self time per call above the bare path:")
    notes += [f"  +{per_call(delta)} {_where(key)}" for delta, key in grown[:PROFILE_TOP]]
    return notes


def measure_calls(calls: int, rounds: int) -> Section:
    """``calls`` sequential calls of each contender in ``rounds`` alternating blocks; ratio of the medians."""
    import httpx

    from threecx_xapi import XAPI

    method = (
        f"{calls} sequential calls each on one keep-alive connection to a local http.server, in {rounds} "
        "alternating blocks; wall time per call, median of the blocks"
    )
    section = Section("per-call overhead (GET /Users(1), real server on 127.0.0.1)", method)
    per_block = max(1, calls // rounds)
    with _server() as url, httpx.Client() as http, XAPI(url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as pbx:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        user_url = url + USER_PATH

        def bare() -> object:
            return http.get(user_url, headers=headers)

        def ours() -> object:
            return pbx.users.get_user(1)

        first = http.get(user_url, headers=headers)
        user = pbx.users.get_user(1)
        if first.status_code != 200 or first.json() != USER or (user.number, user.first_name) != ("100", "Ada"):
            raise RuntimeError(f"unexpected answers: {first.status_code} {first.content!r}, {user!r}")
        progress(f"call: warm-up ({WARM_UP} calls each)")
        for _ in range(WARM_UP):
            bare()
            ours()
        contenders = [("bare", bare), ("ours", ours)]
        samples = {name: _Samples() for name, _ in contenders}
        for i in range(rounds):
            progress(f"call round {i + 1}/{rounds}")
            for name, call in contenders if i % 2 == 0 else contenders[::-1]:
                _block(call, per_block, samples[name])
        base = median(samples["bare"].wall)
        ratio = median(samples["ours"].wall) / base
        cpu_ratio = median(samples["ours"].cpu) / median(samples["bare"].cpu)
        labels = {"bare": "httpx.Client().get(url, Authorization)", "ours": "XAPI(...).users.get_user(1) -> User"}
        for name, _ in contenders:
            wall, cpu = median(samples[name].wall), median(samples[name].cpu)
            note = f"client CPU {cpu * 1e6:.0f} µs/call"
            section.rows.append(Row(labels[name], samples[name].wall, wall / base, note))
        overhead = (median(samples["ours"].wall) - base) * 1e6
        paired = median([o / b for o, b in zip(samples["ours"].wall, samples["bare"].wall, strict=True)])
        section.notes.append(
            f"ours costs {overhead:.0f} µs more a call (wall); median of the per-round ratios {paired:.2f}; "
            f"client CPU ratio ours/bare {cpu_ratio:.2f}"
        )
        section.goals.append(Goal("call facade/httpx", ratio, f"<= {CALL_GOAL}", ratio <= CALL_GOAL))
        if ratio > CALL_GOAL:
            progress("call: over the goal, profiling our path")
            section.notes += _profile_notes(ours, bare, calls)
    return section


if __name__ == "__main__":
    serve()
