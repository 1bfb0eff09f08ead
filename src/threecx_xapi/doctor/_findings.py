"""From what the PBX answered to a :class:`Check`: the XAPI endpoint, the token, the clock, the version, access.

Pure functions of answers and errors (no I/O), shared by the sync and async doctor, so both say the same
thing for the same answer.
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from .._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    XAPIError,
)
from .._jwt import jwt_claims
from .._redact import shown
from .._version import VERSION_HEADER, package_version, parse_xapi_version
from ._network import Target, port_hint
from ._probes import ResolvedProbe
from ._report import FAIL, OK, SKIP, WARN, Check

__all__ = [
    "CLOCK_FAIL_SECONDS",
    "CLOCK_WARN_SECONDS",
    "IP_RESTRICTION_HINT",
    "TokenOutcome",
    "access_check",
    "api_check",
    "api_error_check",
    "clock_check",
    "denied_everywhere",
    "token_check",
    "token_kept_check",
    "version_check",
]

CLOCK_WARN_SECONDS = 60.0
CLOCK_FAIL_SECONDS = 300.0
IP_RESTRICTION_HINT = (
    "the console's IP restrictions may refuse this machine: allow its public address (admin console > "
    "Security > Console restrictions), and check that the API client is enabled"
)
SHARE_TOKENS_HINT = (
    "3CX keeps one live token per API client: give each integration its own API client, or share the token "
    "between processes (XAPI(..., token_store=True); the command line does)"
)
_LIMIT = 300


def _text(text: str, secrets: Sequence[str]) -> str:
    return shown(text, secrets, limit=_LIMIT)


# -- the XAPI endpoint, asked without a token -----------------------------------------------------------------


def api_check(response: httpx.Response, target: Target, api_url: str, seconds: float) -> Check:
    """``api``: a GET without a token; a PBX answers 401 (and says its version)."""
    status = response.status_code
    kind = response.headers.get("Content-Type", "no Content-Type").split(";")[0].strip()
    details = {"status_code": status, "content_type": kind}
    where = _text(api_url, ())
    if status == 401:
        return Check(
            "api", OK, f"the XAPI answers at {where} (401 without a token, as it should)", None, seconds, details
        )
    if 300 <= status < 400:
        location = _text(response.headers.get("Location", "nowhere"), ())
        details["location"] = location
        if target.scheme == "http" and location.startswith("https://"):
            fix = "use https:// in the URL: the token request is never redirected (it carries the secret)"
        else:
            fix = "use the address it redirects to as the URL: the token request is never redirected"
        return Check("api", FAIL, f"{where} redirects ({status}) to {location}", fix, seconds, details)
    if status == 404:
        fix = (
            "give the PBX's root address (https://pbx.example.com:5001), not a page under it; a reverse proxy "
            "must pass /xapi/v1 and /connect/token through; " + port_hint(target)
        )
        return Check("api", FAIL, f"no XAPI at {where} (404)", fix, seconds, details)
    if status == 403:
        return Check(
            "api", WARN, f"{where} answers 403 before any token is sent", IP_RESTRICTION_HINT, seconds, details
        )
    if status >= 500:
        fix = "the PBX (or a proxy in front of it) is failing: check its services and the proxy's upstream"
        return Check("api", FAIL, f"{where} answers {status} {response.reason_phrase}", fix, seconds, details)
    if 200 <= status < 300 and "json" not in kind:
        fix = f"this is not the XAPI (a login page, a proxy or another web server on this port); {port_hint(target)}"
        return Check("api", FAIL, f"{where} answers {status} {kind} without a token", fix, seconds, details)
    summary = f"{where} answers {status} without a token (a PBX answers 401)"
    return Check("api", WARN, summary, "check that the URL is the PBX's, not a proxy's", seconds, details)


def api_error_check(error: BaseException, target: Target, timeout: float, seconds: float) -> Check:
    """``api``: the GET got no HTTP answer at all."""
    if isinstance(error, httpx.TimeoutException):
        summary = f"no HTTP answer from {target.address} in {timeout:g} s"
        fix = "the port accepts connections but nothing answers HTTP there: " + port_hint(target)
    elif isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError)) and target.scheme == "http":
        summary = f"{target.address} closed the connection without an HTTP answer"
        fix = f"if the PBX speaks HTTPS on this port, use https://; {port_hint(target)}"
    else:
        summary = f"no HTTP answer from {target.address} ({type(error).__name__}: {_text(str(error), ())})"
        fix = port_hint(target)
    return Check("api", FAIL, summary, fix, seconds)


# -- the token ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenOutcome:
    """What the token step found: the token (never shown), whether it was fetched now, and when (wall clock)."""

    value: str | None
    fetched: bool
    started: float
    finished: float
    error: BaseException | None = None
    source: str = "credentials"  # credentials, token, provider


def token_check(outcome: TokenOutcome, client_id: str | None, secrets: Sequence[str]) -> Check:
    """``token``: the token request (or the token given), and what a refusal means."""
    seconds = outcome.finished - outcome.started
    who = f"client id {shown(repr(client_id))}" if client_id else "the token provider"
    error = outcome.error
    if error is None:
        assert outcome.value is not None
        details: dict[str, object] = {"fetched": outcome.fetched, "source": outcome.source}
        claims = jwt_claims(outcome.value) or {}
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            details["expires_in"] = round(exp - outcome.finished)
        if outcome.source == "token":
            return Check("token", OK, "a static token was given (no token request)", None, seconds, details)
        if outcome.source == "provider":
            return Check("token", OK, "the token provider returned a token", None, seconds, details)
        how = "issued a token" if outcome.fetched else "a token is held (this process or the token store)"
        lifetime = f", valid for {details['expires_in']} s" if "expires_in" in details else ""
        return Check("token", OK, f"{who}: {how}{lifetime}", None, seconds, details)
    message = _text(str(error), secrets)
    if isinstance(error, AuthenticationError):
        fix = (
            "check the client id and secret (admin console > Integrations > API; regenerating the secret "
            "replaces the old one) and that the API client is enabled"
        )
        return Check("token", FAIL, f"the PBX refused {who} ({error.status_code})", fix, seconds)
    if isinstance(error, APIStatusError):
        details = {"status_code": error.status_code}
        if 300 <= error.status_code < 400:
            fix = "use the address the token endpoint points to as the URL (https://, the PBX's FQDN and port)"
        elif error.status_code == 404:
            fix = "the URL must be the PBX's root; a reverse proxy must pass /connect/token through"
        elif error.status_code >= 500:
            fix = "the PBX failed to issue a token: check its services (a PBX whose database is down answers 500)"
        else:
            fix = "check the URL and the credentials"
        return Check("token", FAIL, message, fix, seconds, details)  # "token request for client id ... failed"
    if isinstance(error, APITimeoutError):
        return Check(
            "token",
            FAIL,
            f"the token request timed out: {message}",
            "the PBX is overloaded or a proxy holds the request; try again with a longer timeout",
            seconds,
        )
    if isinstance(error, APIConnectionError):
        return Check(
            "token",
            FAIL,
            f"the token request did not reach the PBX: {message}",
            "see the connect and tls checks",
            seconds,
        )
    if isinstance(error, XAPIError):
        return Check("token", FAIL, f"unusable token answer: {message}", "check that the URL is the PBX's own", seconds)
    return Check("token", FAIL, f"{type(error).__name__}: {message}", "check the token provider", seconds)


def token_kept_check(before: str | None, after: str | None, source: str) -> Check:
    """``token-kept``: the token obtained first was still the one in use after the probes."""
    if source != "credentials" or before is None:
        return Check("token-kept", SKIP, "no token request of ours to watch (a token or provider was given)")
    if after == before:
        return Check("token-kept", OK, "the token stayed valid for the whole run")
    summary = (
        "the token was replaced during this run: the PBX refused it (401) and the client fetched another; "
        "something else is taking tokens with this client id"
    )
    return Check("token-kept", WARN, summary, SHARE_TOKENS_HINT)


# -- the clock ----------------------------------------------------------------------------------------------


def _skew_text(skew: float) -> str:
    amount = abs(skew)
    size = f"{amount / 60:.1f} min" if amount >= 120 else f"{amount:.0f} s"
    return f"the PBX's clock is {size} {'ahead of' if skew > 0 else 'behind'} this machine's"


def clock_check(outcome: TokenOutcome | None, date_header: tuple[str, float] | None) -> Check:
    """``clock``: skew from a token issued now (its ``iat``), else from the PBX's ``Date`` header."""
    skew: float | None = None
    source = ""
    if outcome is not None and outcome.fetched and outcome.value is not None:
        iat = (jwt_claims(outcome.value) or {}).get("iat")
        if isinstance(iat, (int, float)) and not isinstance(iat, bool):
            source = "the new token's iat"
            # iat is the PBX's time cut to whole seconds, taken while our request was out
            middle = (outcome.started + outcome.finished) / 2
            skew = iat + 0.5 - middle
            if abs(skew) <= 1 + (outcome.finished - outcome.started) / 2:
                skew = 0.0
    if skew is None and date_header is not None:
        value, received = date_header
        try:
            stamp = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            stamp = None
        if stamp is not None:
            source = "the PBX's Date header"
            # a Date header is whole seconds, stamped before we received it
            skew = 0.0 if received - 2 <= stamp <= received + 1 else stamp - received
    if skew is None:
        return Check("clock", SKIP, "no token was issued in this run and the PBX sent no Date header")
    details = {"skew_seconds": round(skew, 1), "source": source}
    fix = (
        "sync both clocks with NTP (this machine: timedatectl set-ntp true; the PBX: its Linux or Windows "
        "time service); certificates, tokens and report periods depend on them"
    )
    if abs(skew) >= CLOCK_FAIL_SECONDS:
        return Check("clock", FAIL, f"{_skew_text(skew)} (from {source})", fix, None, details)
    if abs(skew) >= CLOCK_WARN_SECONDS:
        return Check("clock", WARN, f"{_skew_text(skew)} (from {source})", fix, None, details)
    return Check("clock", OK, f"clocks agree within {max(abs(skew), 1):.0f} s (from {source})", None, None, details)


# -- the version --------------------------------------------------------------------------------------------


def version_check(header: str | None, answered: bool, ours: str) -> Check:
    """``version``: the PBX's ``X-3CX-Version`` against the XAPI this package was generated for."""
    if not answered:
        return Check("version", SKIP, "the PBX gave no HTTP answer to read its version from")
    if header is None:
        return Check(
            "version",
            WARN,
            f"the PBX sent no {VERSION_HEADER} header (a proxy may strip it)",
            f"compare the PBX's version (admin console > Dashboard) with XAPI {ours}, which this package speaks",
        )
    shown_header = _text(header.strip(), ())
    theirs = parse_xapi_version(header)
    mine = parse_xapi_version(ours)
    details = {"header": shown_header, "xapi_version": ours}
    if theirs is None or mine is None:
        return Check("version", WARN, f"{VERSION_HEADER}: {shown_header} is not a version", None, None, details)
    spoken = ".".join(map(str, theirs))
    details["pbx_xapi_version"] = spoken
    if theirs == mine[: len(theirs)]:
        return Check(
            "version", OK, f"the PBX speaks XAPI {spoken} ({VERSION_HEADER}: {shown_header})", None, None, details
        )
    summary = (
        f"the PBX speaks XAPI {spoken} ({VERSION_HEADER}: {shown_header}); threecx-xapi {package_version()} "
        f"was generated for XAPI {ours}"
    )
    fix = (
        f'install the release for the PBX: pip install "threecx-xapi~={spoken}.0", or regenerate from the '
        "PBX's document (make regenerate SPEC=https://<pbx>); operations, fields and enum values differ"
    )
    return Check("version", FAIL, summary, fix, None, details)


# -- access -------------------------------------------------------------------------------------------------


def access_check(
    probe: ResolvedProbe,
    *,
    status_code: int | None,
    error: BaseException | None,
    seconds: float,
    secrets: Sequence[str],
) -> Check:
    """``access.<area>``: allowed, denied (403, with the area's hint) or another failure."""
    area = probe.probe.area
    details: dict[str, object] = {
        "area": area,
        "label": probe.probe.label,
        "operation": probe.probe.operation_id,
        "method": probe.method,
        "path": probe.path.split("(")[0] if "(" in probe.path and probe.path.endswith(")") else probe.path,
        "allowed": None,
        "status_code": status_code,
    }
    name = f"access.{area}"
    call = f"{probe.method} {details['path']}"
    if error is None or isinstance(error, APIResponseValidationError):
        details["allowed"] = True
        if error is not None:
            return Check(
                name,
                WARN,
                "allowed, but the answer is not what the document declares",
                "check the version check: the PBX may speak another XAPI",
                seconds,
                details,
            )
        return Check(name, OK, f"allowed ({call})", None, seconds, details)
    if isinstance(error, APIStatusError):
        details["status_code"] = error.status_code
        if error.status_code == 403:
            details["allowed"] = False
            fix = probe.probe.denied_hint
            return Check(name, FAIL, f"denied (403 on {call})", fix, seconds, details)
        if error.status_code == 401:
            return Check(
                name, FAIL, "the token was refused (401) even after a fresh one", SHARE_TOKENS_HINT, seconds, details
            )
        if error.status_code == 404:
            return Check(
                name,
                WARN,
                f"not on this PBX (404 on {call})",
                "the PBX's XAPI has no such operation: see the version check",
                seconds,
                details,
            )
        if error.status_code >= 500:
            return Check(
                name,
                FAIL,
                f"the PBX failed ({error.status_code} on {call})",
                "check the PBX's services; retry later",
                seconds,
                details,
            )
        return Check(name, WARN, f"refused: {_text(str(error), secrets)}", None, seconds, details)
    if isinstance(error, APIConnectionError):
        return Check(name, FAIL, f"{_text(str(error), secrets)}", "see the connect and tls checks", seconds, details)
    return Check(name, FAIL, f"{type(error).__name__}: {_text(str(error), secrets)}", None, seconds, details)


def denied_everywhere(checks: Sequence[Check], probes: Sequence[ResolvedProbe]) -> bool:
    """Whether every basic area that was probed was denied: then 403 means IP restrictions, not the role."""
    basic = {p.probe.area for p in probes if not p.probe.owner_only}
    seen = [c for c in checks if c.details.get("area") in basic]
    return bool(seen) and all(c.details.get("allowed") is False for c in seen)
