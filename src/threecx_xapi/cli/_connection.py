"""Where a command connects and how: flags, then the chosen profile, then the environment; the client built.

Each setting is taken from the first place that has it: a flag (``--url``, ``--client-id``,
``--client-secret``), the profile chosen with ``--profile`` or ``THREECX_XAPI_PROFILE``, then the variables
``XAPI()`` reads (``THREECX_XAPI_URL``, ``THREECX_XAPI_CLIENT_ID``, ``THREECX_XAPI_CLIENT_SECRET``).

Several PBXs at once: ``--profile a,b,c`` (or the same in ``THREECX_XAPI_PROFILE``) or ``--all-profiles`` make
the connection a fleet; :func:`connections` gives one connection per profile and :func:`each_pbx` runs a
function with each PBX's client, ``--concurrency`` at a time, yielding each PBX's outcome in name order (the
library's fleet runner). Commands print through :func:`._fleet.for_each_pbx`, which does this for one PBX
or many.

A dry run builds the request with the SDK itself, through a client whose transport keeps the request instead
of sending it and whose token is a static placeholder, so not even a token request leaves the machine.
``--debug`` logs each request and response line with httpx event hooks, the bearer token blanked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import ssl
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

import httpx

from threecx_xapi import XAPI, PBXOutcome
from threecx_xapi._client import ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_URL
from threecx_xapi._fleet_runner import DEFAULT_CONCURRENCY, each_in_threads

from ._errors import USAGE, CommandError
from ._profiles import PROFILE_ENV, default_store

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DRY_RUN_TOKEN",
    "Connection",
    "DryRunRequest",
    "blank_headers",
    "connections",
    "each_pbx",
    "open_client",
    "print_request",
]

T = TypeVar("T")

DRY_RUN_TOKEN = "dry-run-placeholder-token"
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


ENV_TOKEN_STORE = "THREECX_XAPI_TOKEN_STORE"


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
    all_profiles: bool = False
    concurrency: int = DEFAULT_CONCURRENCY

    @property
    def fleet(self) -> bool:
        """Several PBXs were asked for (``--profile a,b``, ``--all-profiles``): rows gain a ``pbx`` field."""
        return self.all_profiles or "," in (self.profile or os.environ.get(PROFILE_ENV) or "")

    def resolved(self) -> Connection:
        """Every setting from the first place that has it; a usage error naming what is missing."""
        if self.fleet:
            raise CommandError("this command runs against one PBX: choose one profile (--profile NAME)", USAGE)
        name = self.profile or os.environ.get(PROFILE_ENV)
        profile = default_store().get(name) if name else None
        url = self.url or (profile.url if profile else None) or os.environ.get(ENV_URL)
        client_id = self.client_id or (profile.client_id if profile else None) or os.environ.get(ENV_CLIENT_ID)
        secret = self.client_secret or (profile.client_secret if profile else None) or os.environ.get(ENV_CLIENT_SECRET)
        if not url:
            raise CommandError(f"no PBX address: pass --url, set {ENV_URL}, or choose a profile (--profile)", USAGE)
        return dataclasses.replace(self, url=url, client_id=client_id, client_secret=secret, profile=name)

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


def _profile_names(connection: Connection) -> list[str]:
    """The chosen profiles, in name order, each known; a usage error for an unknown one or a bad mix."""
    store = default_store()
    listed = connection.profile or ("" if connection.all_profiles else os.environ.get(PROFILE_ENV, ""))
    if connection.all_profiles and connection.profile:
        raise CommandError("--all-profiles or --profile, not both", USAGE)
    if connection.url:
        raise CommandError("--url names one PBX: with several profiles each profile gives its own", USAGE)
    known = store.names()
    if connection.all_profiles:
        if not known:
            raise CommandError("--all-profiles: no profiles saved yet (threecx-xapi profile add)", USAGE)
        return known
    names = sorted({name.strip() for name in listed.split(",") if name.strip()})
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise CommandError(
            f"--profile {listed!r}: no profile {', '.join(map(repr, unknown)) or 'named'} "
            f"(profiles: {', '.join(known) or 'none saved yet'})",
            USAGE,
        )
    return names


def connections(connection: Connection) -> dict[str, Connection]:
    """One connection per chosen PBX, by profile name in name order (unresolved: each resolves in its turn).

    Without several profiles, the one connection, named by its profile or ``""``. Unknown profile names are a
    usage error here, before anything is sent.
    """
    if not connection.fleet:
        return {connection.profile or os.environ.get(PROFILE_ENV) or "": connection}
    return {
        name: dataclasses.replace(connection, profile=name, all_profiles=False) for name in _profile_names(connection)
    }


def each_pbx(
    connection: Connection, work: Callable[[str, XAPI], T], *, dry_run: bool = False
) -> Iterator[PBXOutcome[T]]:
    """``work(name, pbx)`` with each chosen PBX's client, ``--concurrency`` at once; outcomes in name order.

    A PBX whose connection fails to resolve (no credentials) or whose call fails is an outcome with that
    error; the others go on. Each client is opened and closed around its own call.
    """
    targets = connections(connection)
    opened: dict[str, XAPI] = {}

    def one(name: str) -> T:
        with open_client(targets[name], dry_run=dry_run) as pbx:
            opened[name] = pbx
            return work(name, pbx)

    def version(name: str) -> str | None:
        pbx = opened.get(name)
        return pbx.server_version if pbx is not None else None

    yield from each_in_threads({name: name for name in targets}, one, concurrency=connection.concurrency,
                               version_of=version)  # fmt: skip


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
    """The one place the cross-process token store is passed to ``XAPI``: on unless the environment says off.

    The PBX keeps one live token per principal, so two commands (or a command and a service) with the same
    client id would otherwise revoke each other's token. The store is a file per PBX and client id in the
    user's cache directory (owner-only, locked), holding only the token and its expiry.
    ``THREECX_XAPI_TOKEN_STORE=0`` turns it off; a directory path puts it there.
    """
    setting = os.environ.get(ENV_TOKEN_STORE, "").strip()
    if setting.lower() in ("0", "false", "no", "off"):
        return {}
    return {"token_store": setting if setting and setting.lower() not in ("1", "true", "yes", "on") else True}


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
