"""Below HTTP: does the PBX's name resolve, does its port accept a connection, what did TLS say.

Name resolution and the TCP connection use plain sockets with a timeout each (``getaddrinfo`` has none of its
own, so it runs on a helper thread that is given up on), so a closed port fails at once and a dropped one
within the timeout. TLS is judged from the doctor's first HTTP exchange, made through the client's own
``httpx`` client, so it uses exactly the certificate checks (``verify=``, CA bundle) the integration uses.
"""

from __future__ import annotations

import datetime
import errno
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ._report import FAIL, OK, SKIP, WARN, Check

__all__ = [
    "CERT_WARN_DAYS",
    "Target",
    "connect",
    "port_hint",
    "resolve",
    "through_proxy",
    "tls_from_error",
    "tls_from_response",
]

CERT_WARN_DAYS = 14
_HOSTED_PORT = 443
_SELF_HOSTED_PORT = 5001


@dataclass(frozen=True)
class Target:
    """Where the PBX is: scheme, host and port (the scheme's default when the URL has none)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, root: str) -> Target:
        parts = urlsplit(root)
        host = parts.hostname or ""
        return cls(parts.scheme, host, parts.port or (443 if parts.scheme == "https" else 80))

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def port_hint(target: Target) -> str:
    """Which port a 3CX PBX listens on, in the terms of this target."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    if target.port == _HOSTED_PORT:
        return f"self-hosted PBXs listen on {_SELF_HOSTED_PORT} by default: try https://{host}:{_SELF_HOSTED_PORT}"
    if target.port == _SELF_HOSTED_PORT:
        return f"hosted PBXs listen on {_HOSTED_PORT}: try https://{host}"
    return (
        f"3CX listens on {_HOSTED_PORT} (hosted) or {_SELF_HOSTED_PORT} (self-hosted, by default): use the port "
        "of the admin console's address"
    )


def through_proxy(http: httpx.Client | httpx.AsyncClient, url: str) -> bool:
    """Whether ``http`` sends requests for ``url`` through a mount of its own (a proxy from ``HTTPS_PROXY`` or
    ``proxy=``): then reaching the PBX's name and port is the proxy's job, and our sockets would test the wrong
    path. httpx has no public way to ask, so its transport lookup is used, and "no" when it is not there."""
    pick = getattr(http, "_transport_for_url", None)
    default = getattr(http, "_transport", None)
    if pick is None or default is None:
        return False
    try:
        return bool(pick(httpx.URL(url)) is not default)
    except Exception:  # an httpx without this lookup: test the direct path
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _on_thread(work: Callable[[], Any], timeout: float) -> tuple[bool, Any, BaseException | None]:
    """``work()`` on a daemon thread: (finished, result, error); given up on after ``timeout`` seconds."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=run, name="threecx-xapi-doctor-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return False, None, None
    return True, box.get("result"), box.get("error")


def resolve(target: Target, timeout: float) -> tuple[Check, list[str]]:
    """``resolve``: the host's addresses (an IP literal is its own)."""
    started = time.monotonic()
    if _is_ip(target.host):
        return Check("resolve", OK, f"{target.host} is an IP address", details={"addresses": [target.host]}), [
            target.host
        ]

    def lookup() -> list[str]:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    finished, found, error = _on_thread(lookup, timeout)
    seconds = time.monotonic() - started
    fix = (
        "check the host name in the URL (the PBX's FQDN, as in its admin console address) and this machine's DNS "
        "(/etc/resolv.conf, VPN, split DNS)"
    )
    if not finished:
        return Check("resolve", FAIL, f"no answer from DNS for {target.host} in {timeout:g} s", fix, seconds), []
    if error is not None or not found:
        why = error.strerror if isinstance(error, OSError) and error.strerror else "no addresses"
        return Check("resolve", FAIL, f"{target.host} does not resolve ({why})", fix, seconds), []
    shown = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
    return Check("resolve", OK, f"{target.host} is {shown}", None, seconds, {"addresses": found}), found


def connect(target: Target, addresses: list[str], timeout: float) -> Check:
    """``connect``: a TCP connection to the first address that accepts one."""
    started = time.monotonic()
    failures: list[tuple[str, OSError]] = []
    for address in addresses:
        try:
            with socket.create_connection((address, target.port), timeout=timeout):
                pass
        except OSError as exc:
            failures.append((address, exc))
            continue
        seconds = time.monotonic() - started
        return Check(
            "connect",
            OK,
            f"{address} port {target.port} accepts connections ({seconds * 1000:.0f} ms)",
            None,
            seconds,
            {"address": address, "port": target.port},
        )
    seconds = time.monotonic() - started
    address, error = failures[-1] if failures else (target.host, OSError("no address"))
    where = f"{address} port {target.port}"
    if isinstance(error, (TimeoutError, socket.timeout)):
        summary = f"no answer from {where} in {timeout:g} s"
        fix = f"a firewall drops the connection, or the port is wrong; {port_hint(target)}"
    elif error.errno == errno.ECONNREFUSED:
        summary = f"nothing listens on {where} (connection refused)"
        fix = f"the port is wrong or the PBX's web server is down; {port_hint(target)}"
    else:
        summary = f"cannot connect to {where} ({error.strerror or error})"
        fix = f"check the network path to the PBX (routes, VPN, proxy); {port_hint(target)}"
    return Check("connect", FAIL, summary, fix, seconds, {"port": target.port})


# -- TLS ----------------------------------------------------------------------------------------------------

_UNTRUSTED = {18, 19, 20, 21, 2}  # self-signed, self-signed in chain, no local issuer, cannot verify leaf, no issuer


def _ssl_error(error: BaseException) -> ssl.SSLError | None:
    """The ``ssl`` error an httpx exception wraps (``__cause__`` / ``__context__`` chain), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def tls_from_error(error: BaseException, target: Target, seconds: float) -> Check | None:
    """``tls`` failed, if ``error`` (from the first HTTP exchange) is a TLS failure; None when it is not."""
    found = _ssl_error(error)
    if found is None:
        return None
    if isinstance(found, ssl.SSLCertVerificationError):
        code = found.verify_code
        message = found.verify_message or str(found)
        details = {"verify_code": code, "verify_message": message}
        if code == 10:
            summary = "the PBX's certificate has expired"
            fix = (
                "renew the certificate (3CX renews its own FQDN certificate when it can reach the internet; "
                "a custom certificate must be replaced), or correct this machine's clock if it is far ahead"
            )
        elif code == 9:
            summary = "the PBX's certificate is not valid yet"
            fix = "this machine's clock (or the PBX's) is wrong: sync both with NTP"
        elif code in (62, 64):  # host name, IP address mismatch
            summary = f"the PBX's certificate is not for {target.host}"
            fix = "use the name the certificate is for (the PBX's FQDN) in the URL, not an IP address or an alias"
        elif code in _UNTRUSTED:
            summary = f"the PBX's certificate is not signed by a CA this machine trusts ({message})"
            fix = (
                "pass the CA that signed it: XAPI(..., verify='ca.pem') or threecx-xapi --ca-bundle ca.pem "
                "(a self-signed or internal certificate), or install a publicly trusted one on the PBX"
            )
        else:
            summary = f"the PBX's certificate was refused: {message}"
            fix = "install a valid certificate on the PBX, or pass the CA that signed it (verify='ca.pem')"
        return Check("tls", FAIL, summary, fix, seconds, details)
    reason = getattr(found, "reason", None) or str(found)
    if reason in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE"):
        summary = f"{target.address} does not speak TLS ({reason})"
        fix = f"use http:// if the PBX really serves plain HTTP there, or the HTTPS port; {port_hint(target)}"
    else:
        summary = f"the TLS handshake with {target.address} failed ({reason})"
        fix = "check that the port is the PBX's HTTPS port and that no proxy intercepts TLS; " + port_hint(target)
    return Check("tls", FAIL, summary, fix, seconds, {"reason": str(reason)})


def tls_from_response(response: httpx.Response, target: Target, seconds: float, *, now: float) -> Check:
    """``tls``: the session of an exchange that succeeded; the certificate's expiry and names."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return Check(
            "tls",
            SKIP,
            "the HTTP client's transport does not show its TLS session (a proxy or a custom transport)",
            None,
            seconds,
        )
    version = ssl_object.version() if hasattr(ssl_object, "version") else None
    cert = ssl_object.getpeercert()
    if not cert:
        return Check(
            "tls",
            WARN,
            f"{version or 'TLS'} without certificate verification (verify=False)",
            "verify the certificate: drop verify=False and pass the CA that signed it (verify='ca.pem', "
            "--ca-bundle); unverified, anyone on the path can read the token",
            seconds,
            {"tls_version": version, "verified": False},
        )
    expires = ssl.cert_time_to_seconds(str(cert["notAfter"]))
    days = (expires - now) / 86400
    expiry = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%d")
    names = [str(value) for kind, value in cert.get("subjectAltName", ()) if kind in ("DNS", "IP Address")]
    details = {
        "tls_version": version,
        "verified": True,
        "not_after": expiry,
        "days_left": round(days, 1),
        "names": names,
    }
    for_whom = f" for {', '.join(names[:3])}" if names else ""
    if days < CERT_WARN_DAYS:
        return Check(
            "tls",
            WARN,
            f"certificate{for_whom} expires in {max(days, 0):.0f} days ({expiry})",
            "renew the PBX's certificate before it expires, or every client will refuse it",
            seconds,
            details,
        )
    return Check(
        "tls",
        OK,
        f"{version or 'TLS'}, certificate{for_whom} valid until {expiry} ({days:.0f} days)",
        None,
        seconds,
        details,
    )
