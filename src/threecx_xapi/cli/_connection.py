"""Where a command connects and how: flags, then the chosen profile, then the environment; the client built.

Each setting is taken from the first place that has it: a flag (``--url``, ``--client-id``,
``--client-secret``), the profile chosen with ``--profile`` or ``THREECX_XAPI_PROFILE``, then the variables
``XAPI()`` reads (``THREECX_XAPI_URL``, ``THREECX_XAPI_CLIENT_ID``, ``THREECX_XAPI_CLIENT_SECRET``).

A dry run builds the request with the SDK itself, through a client whose transport keeps the request instead
of sending it and whose token is a static placeholder, so not even a token request leaves the machine.
``--debug`` logs each request and response line with httpx event hooks, the bearer token blanked.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from threecx_xapi import XAPI
from threecx_xapi._client import ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_URL

from ._errors import USAGE, CommandError
from ._profiles import PROFILE_ENV, default_store

__all__ = ["DRY_RUN_TOKEN", "Connection", "DryRunRequest", "blank_headers", "open_client", "print_request"]

DRY_RUN_TOKEN = "dry-run-placeholder-token"
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


@dataclass(frozen=True)
class Connection:
    """The global options: where to connect, with which credentials, and how."""

    url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    profile: str | None = None
    ca_bundle: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    debug: bool = False

    def resolved(self) -> Connection:
        """Every setting from the first place that has it; a usage error naming what is missing."""
        name = self.profile or os.environ.get(PROFILE_ENV)
        profile = default_store().get(name) if name else None
        url = self.url or (profile.url if profile else None) or os.environ.get(ENV_URL)
        client_id = self.client_id or (profile.client_id if profile else None) or os.environ.get(ENV_CLIENT_ID)
        secret = self.client_secret or (profile.client_secret if profile else None) or os.environ.get(ENV_CLIENT_SECRET)
        if not url:
            raise CommandError(f"no PBX address: pass --url, set {ENV_URL}, or choose a profile (--profile)", USAGE)
        return Connection(
            url, client_id, secret, name, self.ca_bundle, self.timeout, self.max_retries, self.headers, self.debug
        )

    def require_credentials(self) -> None:
        if not self.client_id or not self.client_secret:
            missing = " and ".join(
                what
                for what, value in (("a client id", self.client_id), ("a client secret", self.client_secret))
                if not value
            )
            raise CommandError(
                f"no credentials: {missing} is missing; use a profile (threecx-xapi profile add), "
                f"or --client-id with {ENV_CLIENT_ID} / {ENV_CLIENT_SECRET}",
                USAGE,
            )


class DryRunRequest(Exception):
    """Raised by the dry-run transport with the request the SDK built; it never reaches a network."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(f"{request.method} {request.url}")
        self.request = request


def blank_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header lines with credentials blanked: ``Authorization: Bearer ***``."""
    lines = []
    for name, value in headers.multi_items():
        if name.lower() in _SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} ***".strip()
        lines.append((name, value))
    return lines


def print_request(request: httpx.Request, out: TextIO) -> None:
    """The request line, its headers (credentials blanked), a blank line and the body exactly as it would go."""
    lines = [f"{request.method} {request.url}"]
    lines += [f"{name}: {value}" for name, value in blank_headers(request.headers)]
    body = request.content
    text = "\n".join(lines) + "\n"
    if body:
        text += "\n" + body.decode("utf-8", errors="replace") + "\n"
    out.write(text)


def _token_store_options(connection: Connection) -> dict[str, Any]:
    """TOKEN STORE: the one place a cross-process token store is passed to ``XAPI``.

    The client is gaining an opt-in store that shares one token between processes with the same client id
    (the PBX keeps one live token per principal, so two commands would otherwise revoke each other's). When
    ``XAPI`` accepts it, return its keyword here (for example ``{"token_store": <store for connection>}``);
    every command, ``api`` included, builds its client through :func:`open_client` and picks it up.
    """
    return {}


def _debug_hooks() -> dict[str, list[Any]]:
    def on_request(request: httpx.Request) -> None:
        print(f"> {request.method} {request.url}", file=sys.stderr)
        for name, value in blank_headers(request.headers):
            print(f"> {name}: {value}", file=sys.stderr)

    def on_response(response: httpx.Response) -> None:
        print(f"< {response.status_code} {response.reason_phrase} ({response.request.url})", file=sys.stderr)
        for name, value in blank_headers(response.headers):
            print(f"< {name}: {value}", file=sys.stderr)

    return {"request": [on_request], "response": [on_response]}


@functools.cache
def _default_tls() -> ssl.SSLContext:
    """httpx's default verifying context, made once per process (loading the CA store takes ~0.1 s)."""
    return httpx.create_ssl_context()


def _verify(ca_bundle: str | None) -> ssl.SSLContext:
    if ca_bundle is None:
        return _default_tls()
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise CommandError(f"--ca-bundle {ca_bundle}: {exc}", USAGE) from None


@contextlib.contextmanager
def open_client(connection: Connection, *, dry_run: bool = False) -> Iterator[XAPI]:
    """An ``XAPI`` for the resolved connection (its own ``httpx.Client``, closed on exit)."""
    connection = connection.resolved()
    hooks = _debug_hooks() if connection.debug else {}
    headers = dict(connection.headers)
    options: dict[str, Any] = {"headers": headers}
    if connection.timeout is not None:
        options["timeout"] = connection.timeout
    if dry_run:

        def keep(request: httpx.Request) -> httpx.Response:
            raise DryRunRequest(request)

        http = httpx.Client(transport=httpx.MockTransport(keep), event_hooks=hooks)
        pbx = XAPI(connection.url, token=DRY_RUN_TOKEN, http_client=http, max_retries=0, **options)
    else:
        connection.require_credentials()
        if connection.max_retries is not None:
            options["max_retries"] = connection.max_retries
        http = httpx.Client(verify=_verify(connection.ca_bundle), event_hooks=hooks)
        pbx = XAPI(
            connection.url,
            client_id=connection.client_id,
            client_secret=connection.client_secret,
            http_client=http,
            **options,
            **_token_store_options(connection),
        )
    with http, pbx:
        yield pbx
