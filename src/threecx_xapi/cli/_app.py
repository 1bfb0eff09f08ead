"""The ``threecx-xapi`` command tree: global options, resources and operations built lazily, and ``run``.

``threecx-xapi [global options] <resource> <operation> [options]``. Listing resources reads the registry's
names only; an operation's click command is built when that operation is named (or completed, or its help
shown), so start-up costs the same for 601 operations as for one.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import click

from . import _catalog
from ._connection import DEFAULT_CONCURRENCY, Connection
from ._errors import INTERRUPTED, USAGE, report

__all__ = ["cli", "run"]

# Commands that are not operations: name -> (module, attribute, one line of help). Each is imported when named.
_BUILTINS: dict[str, tuple[str, str, str]] = {
    "api": ("._api", "api_command", "Any request: threecx-xapi api GET '/Users(29)'"),
    "profile": ("._profile_commands", "profile", "Saved connections: add, list, show, remove"),
    "completion": ("._completion", "completion", "Shell completion script: bash, zsh or fish"),
    "export": ("._export", "export", "Every row of a paged operation to CSV or JSON Lines, windowed and resumable"),
    "doctor": ("._doctor", "doctor", "Why does my integration not work? Checks with a fix each"),
    "provision": ("._provision", "provision_command", "Plan, then apply, a CSV/JSON/YAML file of users, groups, ..."),
    "snapshot": ("._snapshot", "snapshot", "Save the configuration to a folder; diff A B compares two"),
}
_EXAMPLES = """\b
Examples:
  threecx-xapi users list-user --top 5
  threecx-xapi users get-user --id 29 --format json
  threecx-xapi --profile office users list-user --all --format csv > users.csv
  threecx-xapi --all-profiles users list-user --select Id,Number --format csv
  threecx-xapi api GET '/Users(29)'"""


class _Resource(click.Group):
    """The operations of one resource, each built when it is named."""

    def __init__(self, name: str) -> None:
        super().__init__(name, help=f"Operations on {name} (pbx.{name.replace('-', '_')}).")
        self.context_settings["max_content_width"] = 120

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_catalog.operations_of(self.name or "") or {})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = (_catalog.operations_of(self.name or "") or {}).get(cmd_name)
        if entry is None:
            return None
        from ._operation import build_command

        return build_command(self.name or "", entry)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, str(entry.record.get("summary") or ""))
            for name, entry in (_catalog.operations_of(self.name or "") or {}).items()
        ]
        if rows:
            with formatter.section(f"Operations ({len(rows)})"):
                formatter.write_dl(rows)


class _Root(click.Group):
    """Resources from the registry, plus ``api``, ``profile`` and ``completion``.

    ``main`` turns every failure into its exit code, told on stderr (see :mod:`._errors`), whether or not
    click runs in standalone mode: standalone, it exits with that code; otherwise it returns it.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        code = _exit_code(lambda: super(_Root, self).main(args, prog_name, complete_var, False, **extra))
        if standalone_mode:
            sys.exit(code)
        return code

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*_BUILTINS, *_catalog.resources()]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _BUILTINS:
            module, attribute, _ = _BUILTINS[cmd_name]
            command: click.Command = getattr(importlib.import_module(module, __package__), attribute)
            return command
        if _catalog.operations_of(cmd_name) is None:
            return None
        return _Resource(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_line) for name, (_, _, help_line) in _BUILTINS.items()])
        resources = _catalog.resources()
        with formatter.section(f"Resources ({len(resources)}; `threecx-xapi RESOURCE --help` lists operations)"):
            formatter.write_dl([(name, f"{len(ops)} operations") for name, ops in resources.items()])


def _exit_code(invoke: Callable[[], Any]) -> int:
    try:
        returned = invoke()
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        print("aborted", file=sys.stderr)
        return INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return 0  # `| head`: the reader has what it wanted
    except Exception as exc:
        if "--debug" in sys.argv:
            traceback.print_exc()
        return report(exc, sys.stderr)
    # Not standalone, click's main returns the code of ctx.exit(code) (snapshot diff: 10) instead of raising it.
    return returned if type(returned) is int else 0


def _header(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for value in values:
        name, sep, text = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: expected 'Name: value'")
        out.append((name.strip(), text.strip()))
    return tuple(out)


@click.group(
    cls=_Root,
    context_settings={"max_content_width": 120, "help_option_names": ["-h", "--help"]},
    epilog=_EXAMPLES,
)
@click.option(
    "--profile",
    "-p",
    metavar="NAME[,NAME...]",
    help="a saved connection, or several at once: a,b,c (or THREECX_XAPI_PROFILE)",
)
@click.option("--all-profiles", is_flag=True, help="run against every saved profile at once")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="PBXs at once with several profiles",
)
@click.option("--url", metavar="URL", help="the PBX, https://pbx.example.com[:port] (or THREECX_XAPI_URL)")
@click.option("--client-id", metavar="ID", help="API client id (or THREECX_XAPI_CLIENT_ID)")
@click.option(
    "--client-secret",
    metavar="SECRET",
    help="API client secret; better THREECX_XAPI_CLIENT_SECRET or a profile (a flag lands in shell history)",
)
@click.option("--ca-bundle", metavar="PEM", help="CA bundle to verify a self-hosted PBX's certificate")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="seconds per request (default 30)")
@click.option("--max-retries", type=click.IntRange(min=0), help="retries of failed requests (default 2)")
@click.option(
    "--header",
    "-H",
    "headers",
    multiple=True,
    callback=_header,
    metavar="'NAME: VALUE'",
    help="extra request header (repeatable)",
)
@click.option("--debug", is_flag=True, help="log each request and response line to stderr (secrets blanked)")
@click.version_option(package_name="threecx-xapi", prog_name="threecx-xapi")
@click.pass_context
def cli(ctx: click.Context, /, client_secret: str | None, headers: tuple[tuple[str, str], ...], **options: Any) -> None:
    """Every operation of the 3CX XAPI from a shell: threecx-xapi RESOURCE OPERATION [OPTIONS].

    Output is a table on a terminal and JSON otherwise (--format json|jsonl|table|csv|yaml on each command).
    Exit codes: 0 ok, 1 other error, 2 usage, 3 connection, 4 authentication, 5 permission, 6 not found,
    7 conflict or validation, 8 rate limit, 9 server error, 10 snapshot diff found differences.
    With several profiles (--profile a,b or --all-profiles) each PBX is asked at once, rows gain a leading pbx
    field, a failing PBX is told on stderr and the others go on; the exit code is the first failed PBX's (by
    name), 0 when none failed.
    """
    if client_secret and not ctx.resilient_parsing:
        print(
            "warning: --client-secret lands in shell history; prefer THREECX_XAPI_CLIENT_SECRET or a profile",
            file=sys.stderr,
        )
    logging.basicConfig(
        level=logging.DEBUG if options["debug"] else logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ctx.obj = Connection(client_secret=client_secret, headers=headers, **options)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); the exit code."""
    return int(cli.main(args=list(argv) if argv is not None else None, prog_name="threecx-xapi", standalone_mode=False))
