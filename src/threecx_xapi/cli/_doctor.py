"""``threecx-xapi doctor``: why does my integration not work? Every check of ``pbx.doctor()``, as a table or JSON.

Connects as any command does (flags, profile, environment; the token store shared with the other commands, so
a token already held is reused rather than revoked). The exit code is 0 when no check failed, else the code of
the first failure's class (:mod:`._errors`): 3 for the name, port, TLS or HTTP answer, 4 for the token, 5 for
a denied area, 1 for the clock or the version.
"""

from __future__ import annotations

import sys
from typing import TextIO

import click

from threecx_xapi import XAPI
from threecx_xapi.doctor import AREAS, FAIL, OK, SKIP, WARN, DoctorReport

from ._connection import Connection, open_client
from ._errors import AUTH, CONNECTION, ERROR, PERMISSION, CommandError
from ._errors import OK as EXIT_OK
from ._fleet import for_each_pbx
from ._output import Printer

__all__ = ["doctor", "exit_code_of"]

_EXIT_CODES = {"resolve": CONNECTION, "connect": CONNECTION, "tls": CONNECTION, "api": CONNECTION, "token": AUTH}
_STYLES = {OK: "green", WARN: "yellow", FAIL: "bold red", SKIP: "dim"}


def exit_code_of(report: DoctorReport) -> int:
    """0 when nothing failed; else the exit code of the first failed check's class."""
    failed = report.failed
    if not failed:
        return EXIT_OK
    first = failed[0].name
    if first.startswith("access."):
        return PERMISSION
    return _EXIT_CODES.get(first, ERROR)


def _table(report: DoctorReport, out: TextIO) -> None:
    from rich.table import Table

    table = Table("check", "status", "result", "fix", title=f"threecx-xapi doctor: {report.url}", title_justify="left")
    for check in report.checks:
        status = f"[{_STYLES[check.status]}]{check.status}[/]"
        table.add_row(check.name, status, check.summary, check.fix or "")
    console = Printer("table", out, sys.stderr)._console()
    console.print(table)
    console.print(f"{report.summary()}; client id {report.client_id or '(token)'}", highlight=False, markup=False)


@click.command(
    "doctor",
    context_settings={"max_content_width": 120},
    epilog="\b\nExamples:\n  threecx-xapi --profile office doctor\n"
    "  threecx-xapi doctor --area users --area call_history --format json",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for machines",
)
@click.option(
    "--area",
    "areas",
    multiple=True,
    type=click.Choice(AREAS),
    help="probe only these areas (repeatable; default: all)",
)
@click.pass_obj
def doctor(connection: Connection, fmt: str, areas: tuple[str, ...]) -> None:
    """Why does my integration not work? Checks name, port, TLS, token, clock, version and access.

    Sends only reads; each step has the --timeout (default 10 s). Exits non-zero when a check fails.
    """
    if connection.fleet:
        _doctor_fleet(connection, fmt, areas)
        return
    with open_client(connection) as pbx:
        report = pbx.doctor(timeout=connection.timeout, areas=list(areas) or None)
    if fmt == "json":
        Printer("json", sys.stdout, sys.stderr).value(report.to_dict())
    else:
        _table(report, sys.stdout)
    code = exit_code_of(report)
    if code:
        first = report.failed[0]
        raise CommandError(
            f"doctor: {len(report.failed)} of {len(report.checks)} checks failed, first {first.name}", code
        )


def _doctor_fleet(connection: Connection, fmt: str, areas: tuple[str, ...]) -> None:
    """Every chosen PBX at once: a row per check with a leading ``pbx``; the exit code of the first failed PBX."""
    failed: dict[str, DoctorReport] = {}

    def work(pbx: XAPI, printer: Printer, name: str) -> None:
        report = pbx.doctor(timeout=connection.timeout, areas=list(areas) or None)
        printer.value(
            [{"check": c.name, "status": c.status, "result": c.summary, "fix": c.fix or ""} for c in report.checks]
        )
        if report.failed:
            failed[name] = report

    for_each_pbx(connection, work, Printer(fmt, sys.stdout, sys.stderr))
    if failed:
        names = sorted(failed)
        raise CommandError(
            f"doctor: checks failed on {len(names)} PBX(s): {', '.join(names)}", exit_code_of(failed[names[0]])
        )
