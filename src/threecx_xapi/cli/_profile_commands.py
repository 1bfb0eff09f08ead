"""``threecx-xapi profile add|list|show|remove``: saved connections (see :mod:`._profiles`)."""

from __future__ import annotations

import os
import sys

import click

from threecx_xapi._client import ENV_CLIENT_SECRET

from ._errors import USAGE, CommandError
from ._profiles import default_store

__all__ = ["profile"]


@click.group("profile", context_settings={"max_content_width": 120})
def profile() -> None:
    """Saved connections to PBXs, in an owner-only file in your config folder.

    Choose one with --profile NAME (before the resource) or THREECX_XAPI_PROFILE.
    """


@profile.command("add")
@click.argument("name")
@click.option("--url", required=True, metavar="URL", help="the PBX, https://pbx.example.com[:port]")
@click.option("--client-id", required=True, metavar="ID", help="API client id")
@click.option(
    "--client-secret",
    metavar="SECRET",
    help=f"API client secret; else {ENV_CLIENT_SECRET}, else a hidden prompt on a terminal",
)
@click.option("--keyring", "use_keyring", is_flag=True, help="keep the secret in the OS keyring, not the file")
@click.option("--replace", is_flag=True, help="overwrite a profile of the same name")
@click.pass_context
def add(
    ctx: click.Context,
    name: str,
    url: str,
    client_id: str,
    client_secret: str | None,
    use_keyring: bool,
    replace: bool,
) -> None:
    """Save a connection as NAME."""
    from threecx_xapi._urls import parse_base_url

    try:
        parse_base_url(url)
    except ValueError as exc:
        raise CommandError(f"--url: {exc}", USAGE) from None
    if client_secret:
        print("warning: --client-secret lands in shell history; the prompt or the variable is safer", file=sys.stderr)
    secret = client_secret or os.environ.get(ENV_CLIENT_SECRET)
    if not secret:
        if not sys.stdin.isatty():
            raise CommandError(f"no client secret: pass --client-secret or set {ENV_CLIENT_SECRET}", USAGE)
        secret = click.prompt("Client secret", hide_input=True, err=True)
    saved = default_store().add(
        name, url=url, client_id=client_id, client_secret=secret, use_keyring=use_keyring, replace=replace
    )
    where = "the OS keyring" if saved.secret_store == "keyring" else str(default_store().path)
    print(f"saved profile {name!r} ({url}); the secret is in {where}", file=sys.stderr)


@profile.command("list")
def list_() -> None:
    """The saved profiles: name, PBX and client id."""
    store = default_store()
    for name in store.names():
        saved = store.get(name)
        print(f"{name}\t{saved.url}\t{saved.client_id or ''}")


@profile.command("show")
@click.argument("name")
def show(name: str) -> None:
    """One profile (the secret is never printed, only where it is kept)."""
    saved = default_store().get(name)
    secret = {"file": "stored in the profiles file", "keyring": "stored in the OS keyring"}.get(
        saved.secret_store, "not stored"
    )
    print(f"name: {saved.name}\nurl: {saved.url}\nclient_id: {saved.client_id or ''}\nclient_secret: {secret}")


@profile.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Forget a profile (and its secret in the keyring, if it was kept there)."""
    default_store().remove(name)
    print(f"removed profile {name!r}", file=sys.stderr)
