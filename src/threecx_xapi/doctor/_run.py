"""One doctor run, in order: resolve, connect, tls, api, token, clock, version, access.<area>, token-kept.

A check that cannot run because an earlier one failed is ``skip``, naming that one. Everything sent is a read:
one ``GET`` without a token (``/xapi/v1/Defs?$select=Id``: does the XAPI answer, with which version), the token
request the client would make anyway (through the client's own token cache and store, so a token already held
is reused rather than revoked), and one ``GET`` per probed area, ``$top=1``, without retries. Every network
step has the run's ``timeout``. The sync and async drivers share :class:`_Run`, which holds what was seen and
turns it into checks.
"""

from __future__ import annotations

import datetime
import math
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .._deadline import Deadline
from .._exceptions import APIStatusError
from .._redact import redact
from .._version import VERSION_HEADER, XAPIVersionWarning, package_version, xapi_version
from . import _findings as findings
from ._network import Target, connect, resolve, through_proxy, tls_from_error, tls_from_response
from ._probes import ResolvedProbe, probes_for
from ._report import FAIL, SKIP, Check, DoctorReport

if TYPE_CHECKING:
    from .._client import XAPI, AsyncXAPI, _BaseXAPI

__all__ = ["DEFAULT_DOCTOR_TIMEOUT", "arun_doctor", "run_doctor"]

DEFAULT_DOCTOR_TIMEOUT = 10.0
_ANSWER_PATH = "/Defs?$select=Id"  # small, read-only, and where 3CX is known to send X-3CX-Version
_LATER = ("clock", "version")


class _Run:
    """What one run has seen so far, and the checks made of it."""

    def __init__(self, pbx: _BaseXAPI, timeout: float | None, areas: Sequence[str] | None) -> None:
        timeout = DEFAULT_DOCTOR_TIMEOUT if timeout is None else timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (0 < timeout < math.inf):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.pbx = pbx
        self.timeout = float(timeout)
        self.probes: list[ResolvedProbe] = probes_for(areas)
        self.target = Target.of(pbx._url.root)
        self.answer_url = pbx._url.api + _ANSWER_PATH
        self.checks: list[Check] = []
        self.version_header: str | None = None
        self.date_header: tuple[str, float] | None = None
        self.answered = False
        self.token: findings.TokenOutcome | None = None
        self.source = pbx._auth.source

    # -- recording ------------------------------------------------------------------------------------------

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def saw(self, headers: httpx.Headers) -> None:
        """Keep the first version header and Date the PBX sent."""
        self.answered = True
        if self.version_header is None and VERSION_HEADER in headers:
            self.version_header = headers[VERSION_HEADER]
        if self.date_header is None and "Date" in headers:
            self.date_header = (headers["Date"], time.time())

    def skip_from(self, names: Sequence[str], because: Check) -> None:
        for name in names:
            self.add(Check(name, SKIP, f"skipped: {because.name} failed"))

    def skip_rest(self, because: Check) -> DoctorReport:
        """Every check after ``because``, skipped; the report."""
        names = ["tls", "api", "token", *_LATER, *self.access_names(), "token-kept"]
        done = {check.name for check in self.checks}
        self.skip_from([name for name in names if name not in done], because)
        return self.report()

    def access_names(self) -> list[str]:
        return [f"access.{probe.probe.area}" for probe in self.probes]

    # -- the unauthenticated GET ------------------------------------------------------------------------------

    def answer_request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        return http.build_request("GET", self.answer_url, headers=self.pbx._headers, timeout=self.timeout)

    def proxied(self) -> None:
        why = "the HTTP client sends requests to the PBX through a proxy, which reaches its name and port"
        self.add(Check("resolve", SKIP, why, details={"proxy": True}))
        self.add(Check("connect", SKIP, why + " (see api)", details={"proxy": True}))

    def plain_http(self) -> None:
        if self.target.scheme == "http":
            self.add(Check("tls", SKIP, "plain HTTP: the secret and the token cross the network unencrypted"))

    def answered_with(self, response: httpx.Response, seconds: float) -> None:
        self.saw(response.headers)
        if self.target.scheme == "https":
            self.add(tls_from_response(response, self.target, seconds, now=time.time()))
        self.add(findings.api_check(response, self.target, self.answer_url, seconds))

    def failed_with(self, error: BaseException, seconds: float) -> Check:
        """The first HTTP exchange failed: a TLS failure, or no answer; the check that stops the run."""
        if self.target.scheme == "https":
            tls = tls_from_error(error, self.target, seconds)
            if tls is not None:
                return self.add(tls)
            self.add(Check("tls", SKIP, "no TLS failure seen, but no HTTP answer either (see api)"))
        return self.add(findings.api_error_check(error, self.target, self.timeout, seconds))

    # -- the token ----------------------------------------------------------------------------------------------

    def token_done(self, outcome: findings.TokenOutcome) -> Check:
        self.token = outcome
        return self.add(findings.token_check(outcome, self.pbx._client_id, self.secrets()))

    def clock_and_version(self) -> None:
        token = self.token if self.token is not None and self.token.error is None else None
        self.add(findings.clock_check(token, self.date_header))
        self.add(findings.version_check(self.version_header, self.answered, xapi_version()))

    # -- access ----------------------------------------------------------------------------------------------

    def probed(self, probe: ResolvedProbe, status_code: int | None, error: Exception | None, seconds: float) -> None:
        if isinstance(error, APIStatusError):
            self.saw(error.response.headers)
        self.add(
            findings.access_check(probe, status_code=status_code, error=error, seconds=seconds, secrets=self.secrets())
        )

    def probes_done(self) -> None:
        """Every basic area denied too: the 403s are the console's IP restrictions, not the role."""
        if not findings.denied_everywhere(self.checks, self.probes):
            return
        self.checks = [
            _with_fix(check, findings.IP_RESTRICTION_HINT) if check.details.get("allowed") is False else check
            for check in self.checks
        ]

    # -- the report -------------------------------------------------------------------------------------------

    def secrets(self) -> tuple[str, ...]:
        return self.pbx._auth.secrets()

    def report(self) -> DoctorReport:
        secrets = self.secrets()
        checks = tuple(_scrubbed(check, secrets) for check in self.checks)
        return DoctorReport(self.pbx._url.root, self.pbx._client_id, package_version(), xapi_version(), checks)


def _with_fix(check: Check, fix: str) -> Check:
    return Check(check.name, check.status, check.summary, fix, check.seconds, check.details)


def _scrubbed(check: Check, secrets: Sequence[str]) -> Check:
    """The last guard: no secret or token in any text of the report, whatever produced it."""
    fix = redact(check.fix, secrets) if check.fix else check.fix
    return Check(check.name, check.status, redact(check.summary, secrets), fix, check.seconds, check.details)


def _probe_call(client: Any, probe: ResolvedProbe) -> Any:
    return getattr(getattr(client, probe.resource).with_raw_response, probe.function)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


# -- sync ---------------------------------------------------------------------------------------------------


def run_doctor(pbx: XAPI, *, timeout: float | None = None, areas: Sequence[str] | None = None) -> DoctorReport:
    """Run every check against ``pbx`` (see the module docstring); never raises for a failed check."""
    run = _Run(pbx, timeout, areas)
    http = pbx._http
    if through_proxy(http, run.answer_url):
        run.proxied()
    else:
        check, addresses = resolve(run.target, run.timeout)
        if run.add(check).status == FAIL:
            return run.skip_rest(check)
        check = run.add(connect(run.target, addresses, run.timeout))
        if check.status == FAIL:
            return run.skip_rest(check)
    run.plain_http()
    request = run.answer_request(http)
    started = time.monotonic()
    try:
        response = http.send(request, auth=None, follow_redirects=False, stream=True)
    except httpx.HTTPError as exc:
        return run.skip_rest(run.failed_with(exc, time.monotonic() - started))
    try:
        run.answered_with(response, time.monotonic() - started)
    finally:
        response.close()
    token = run.token_done(_sync_token(pbx, request, run.timeout, run.source))
    run.clock_and_version()
    if token.status == FAIL:
        run.skip_from([*run.access_names(), "token-kept"], token)
        return run.report()
    client = pbx.with_options(max_retries=0, timeout=run.timeout)
    now = _now()
    for probe in run.probes:
        started = time.monotonic()
        status_code: int | None = None
        error: Exception | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", XAPIVersionWarning)  # the version check reports it
                raw = _probe_call(client, probe)(**probe.kwargs(now))
            status_code = raw.status_code
            run.saw(raw.headers)
        except Exception as exc:  # a probe's failure is its check's, never the caller's exception
            error = exc
        run.probed(probe, status_code, error, time.monotonic() - started)
    run.probes_done()
    assert run.token is not None
    run.add(findings.token_kept_check(run.token.value, pbx._auth.held_token(request), run.source))
    return run.report()


def _sync_token(pbx: XAPI, request: httpx.Request, timeout: float, source: str) -> findings.TokenOutcome:
    auth = pbx._auth
    started = time.time()
    issued = auth.tokens_issued
    try:
        value = auth.obtain(request, Deadline.after(timeout))
    except Exception as exc:  # reported as the token check, never raised
        return findings.TokenOutcome(None, False, started, time.time(), exc, source)
    return findings.TokenOutcome(value, auth.tokens_issued > issued, started, time.time(), None, source)


# -- async --------------------------------------------------------------------------------------------------


async def arun_doctor(
    pbx: AsyncXAPI, *, timeout: float | None = None, areas: Sequence[str] | None = None
) -> DoctorReport:
    """The async twin of :func:`run_doctor`: the socket checks run on a worker thread, the rest awaited."""
    import asyncio

    run = _Run(pbx, timeout, areas)
    http = pbx._loop_clients.get()
    if through_proxy(http, run.answer_url):
        run.proxied()
    else:
        check, addresses = await asyncio.to_thread(resolve, run.target, run.timeout)
        if run.add(check).status == FAIL:
            return run.skip_rest(check)
        check = run.add(await asyncio.to_thread(connect, run.target, addresses, run.timeout))
        if check.status == FAIL:
            return run.skip_rest(check)
    run.plain_http()
    request = run.answer_request(http)
    started = time.monotonic()
    try:
        response = await http.send(request, auth=None, follow_redirects=False, stream=True)
    except httpx.HTTPError as exc:
        return run.skip_rest(run.failed_with(exc, time.monotonic() - started))
    try:
        run.answered_with(response, time.monotonic() - started)
    finally:
        await response.aclose()
    token = run.token_done(await _async_token(pbx, request, run.timeout, run.source))
    run.clock_and_version()
    if token.status == FAIL:
        run.skip_from([*run.access_names(), "token-kept"], token)
        return run.report()
    client = pbx.with_options(max_retries=0, timeout=run.timeout)
    now = _now()
    for probe in run.probes:
        started = time.monotonic()
        status_code: int | None = None
        error: Exception | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", XAPIVersionWarning)
                raw = await _probe_call(client, probe)(**probe.kwargs(now))
            status_code = raw.status_code
            run.saw(raw.headers)
        except Exception as exc:  # a probe's failure is its check's, never the caller's exception
            error = exc
        run.probed(probe, status_code, error, time.monotonic() - started)
    run.probes_done()
    assert run.token is not None
    run.add(findings.token_kept_check(run.token.value, pbx._auth.held_token(request), run.source))
    return run.report()


async def _async_token(pbx: AsyncXAPI, request: httpx.Request, timeout: float, source: str) -> findings.TokenOutcome:
    auth = pbx._auth
    started = time.time()
    issued = auth.tokens_issued
    try:
        value = await auth.aobtain(request, Deadline.after(timeout))
    except Exception as exc:  # reported as the token check, never raised
        return findings.TokenOutcome(None, False, started, time.time(), exc, source)
    return findings.TokenOutcome(value, auth.tokens_issued > issued, started, time.time(), None, source)
