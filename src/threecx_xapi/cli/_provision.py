"""``threecx-xapi provision ENTITY_SET FILE``: plan a file of rows against the PBX, or apply it.

``--plan`` (the default) reads the PBX and prints, per row, create / update (exactly the fields that change,
old -> new) / unchanged / conflict, sending nothing. ``--apply`` plans again against the live PBX and then
writes, ``--concurrency`` requests at a time; ``--report`` keeps each row's outcome (CSV, or JSON for a
``.json`` name). ``--prune`` also deletes the entities the file does not name, after a confirmation at a
terminal (``--yes`` skips it; without a terminal ``--yes`` is required). The engine is
:mod:`threecx_xapi.provision`; this module is its command line only.

Exit codes: 0 when every row is applied or unchanged (or, planning, when no row conflicts); 7 when a row
conflicts or fails; 2 for bad input (nothing sent).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from threecx_xapi import XAPI
from threecx_xapi.provision import (
    DEFAULT_CONCURRENCY,
    FILE_FORMATS,
    ApplyReport,
    Plan,
    Provisioner,
    parse_rows,
    read_rows,
)

from ._connection import Connection, open_client
from ._errors import CONFLICT, USAGE, CommandError
from ._fleet import check_fleet_output, fleet_output, for_each_pbx
from ._output import FORMATS, Printer, default_format

__all__ = ["provision_command"]

_EPILOG = """\b
Examples:
  threecx-xapi provision users users.csv                  # the plan: nothing is sent
  threecx-xapi provision users users.csv --apply --report result.csv
  threecx-xapi provision users staff.yaml --key EmailAddress --apply
  threecx-xapi provision groups groups.json --apply --prune --yes

\b
Columns are the PBX's field names (FirstName) or the SDK's (first_name); users also take
group (name, number or id), groups ("Sales; Support:managers") and role (users, managers, ...)."""


def _interactive() -> bool:
    """Whether a person can be asked (stdin is a terminal)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


@click.command("provision", context_settings={"max_content_width": 120}, epilog=_EPILOG)
@click.argument("entity_set", metavar="ENTITY_SET")
@click.argument("path", metavar="FILE")
@click.option("--plan", "mode", flag_value="plan", default=True, help="print what each row would do (default)")
@click.option("--apply", "mode", flag_value="apply", help="plan against the live PBX, then write")
@click.option("--key", default="Number", show_default=True, help="the field rows are matched by (e.g. EmailAddress)")
@click.option("--input-format", type=click.Choice(FILE_FORMATS), help="the file's format (default: from its name)")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), help="output format")
@click.option("--report", metavar="FILE", help="write each row's outcome here (CSV, or JSON for a .json name)")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="requests at a time while applying",
)
@click.option("--stop-on-error", is_flag=True, help="after a failed row, start no further rows")
@click.option("--prune", is_flag=True, help="also delete the entities of the set that the file does not name")
@click.option("--yes", "-y", is_flag=True, help="delete without asking (--prune)")
@click.pass_obj
def provision_command(
    connection: Connection,
    entity_set: str,
    path: str,
    mode: str,
    key: str,
    input_format: str | None,
    fmt: str | None,
    report: str | None,
    concurrency: int,
    stop_on_error: bool,
    prune: bool,
    yes: bool,
) -> None:
    """Create, update (and with --prune delete) the entities of ENTITY_SET so they match FILE.

    FILE is CSV, JSON or YAML ('-' reads stdin, with --input-format). Rows are matched to entities by --key;
    a row without a Number gets the next free one. Applying the same file again changes nothing.
    """
    if path == "-":
        if input_format is None:
            raise CommandError("reading rows from stdin needs --input-format csv|json|yaml", USAGE)
        rows = parse_rows(sys.stdin.read(), input_format, source="stdin")
    else:
        rows = read_rows(path, format=input_format)
    if report is not None and mode != "apply":
        raise CommandError("--report is the outcome of --apply; a plan is printed (--format csv|json)", USAGE)
    printer = Printer(fmt or default_format(sys.stdout), sys.stdout, sys.stderr)
    if connection.fleet:
        _provision_each(
            connection, printer, entity_set, rows, key=key, mode=mode, prune=prune, yes=yes, report=report,
            concurrency=concurrency, stop_on_error=stop_on_error,
        )  # fmt: skip
        return
    with open_client(connection) as pbx:
        provisioner = Provisioner(pbx, entity_set, key=key)
        plan = provisioner.plan(rows, prune=prune)
        if mode == "plan":
            _print_plan(plan, printer)
            for note in plan.notes:
                print(f"note: {note}", file=sys.stderr)
            print(plan.summary(), file=sys.stderr)
            conflicts = plan.counts["conflict"]
            if conflicts:
                raise CommandError(f"{_rows(conflicts)} in conflict; see the plan", CONFLICT)
            return
        _confirm_prune(plan, yes=yes)
        with _progress(len(plan), enabled=_tty(sys.stderr)) as advance:
            result = provisioner.apply(
                plan, concurrency=concurrency, stop_on_error=stop_on_error, on_result=lambda _: advance()
            )
    _print_report(result, printer)
    if report is not None:
        where = result.write(report)
        print(f"wrote the report to {where}", file=sys.stderr)
    print(result.summary(), file=sys.stderr)
    if not result.ok:
        counts = result.counts
        told = [f"{_rows(counts[status])} {status}" for status in ("failed", "skipped") if counts[status]]
        raise CommandError(f"{' and '.join(told)}; see the report", CONFLICT)


@contextlib.contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[], None]]:
    """A progress bar of rows on stderr at a terminal (rows complete on worker threads); a no-op elsewhere."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("rows"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as progress:
        task = progress.add_task("rows", total=total)
        yield lambda: progress.advance(task)


def _tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def _provision_each(
    connection: Connection,
    printer: Printer,
    entity_set: str,
    rows: Any,
    *,
    key: str,
    mode: str,
    prune: bool,
    yes: bool,
    report: str | None,
    concurrency: int,
    stop_on_error: bool,
) -> None:
    """The same file planned (or applied) on every chosen PBX at once: a row per entry with a leading ``pbx``.

    Nobody can be asked on several PBXs at once, so ``--prune`` needs ``--yes``; ``--report`` names a file per
    PBX (``{pbx}`` in it). A PBX that fails is told on stderr and the others go on; rows in conflict or failed on
    any PBX make the exit code 7, as with one.
    """
    if prune and not yes:
        raise CommandError("--prune across several PBXs needs --yes (there is no one prompt for them all)", USAGE)
    if report is not None:
        check_fleet_output(connection, report)
    troubled: dict[str, str] = {}

    def work(pbx: XAPI, out: Printer, name: str) -> None:
        provisioner = Provisioner(pbx, entity_set, key=key)
        plan = provisioner.plan(rows, prune=prune)
        if mode == "plan":
            out.value([{column: entry.get(column) for column in _PLAN_COLUMNS} for entry in plan.as_dicts()])
            if plan.counts["conflict"]:
                troubled[name] = f"{_rows(plan.counts['conflict'])} in conflict"
            return
        result = provisioner.apply(plan, concurrency=concurrency, stop_on_error=stop_on_error)
        out.value(result.as_dicts())
        if report is not None:
            result.write(str(fleet_output(report, name)))
        if not result.ok:
            troubled[name] = result.summary()

    columns = _PLAN_COLUMNS if mode == "plan" else _REPORT_COLUMNS
    for_each_pbx(connection, work, Printer(printer.fmt, printer.out, printer.err, columns=list(columns)))
    if troubled:
        told = "; ".join(f"pbx {name}: {what}" for name, what in sorted(troubled.items()))
        raise CommandError(f"rows in conflict or failed: {told}", CONFLICT)


_PLAN_COLUMNS = ("row", "key", "action", "detail")
_REPORT_COLUMNS = ("row", "key", "action", "status", "error", "hint")


def _confirm_prune(plan: Plan, *, yes: bool) -> None:
    deletions = plan.of("delete")
    if not deletions or yes:
        return
    what = f"{len(deletions)} {plan.entity_set} that the file does not name"
    if not _interactive():
        raise CommandError(f"--prune would delete {what}; pass --yes to confirm (there is no terminal to ask)", USAGE)
    shown = ", ".join(str(entry.key) for entry in deletions[:10]) + (", ..." if len(deletions) > 10 else "")
    click.confirm(f"Delete {what} ({plan.key} {shown})?", abort=True, err=True)


def _print_plan(plan: Plan, printer: Printer) -> None:
    if printer.fmt in ("json", "yaml"):
        whole: dict[str, Any] = {
            "entity_set": plan.entity_set,
            "key": plan.key,
            "counts": plan.counts,
            "notes": list(plan.notes),
            "entries": plan.as_dicts(),
        }
        printer.value(whole)
        return
    columns = list(_PLAN_COLUMNS)
    entries = [{name: entry.get(name) for name in columns} for entry in plan.as_dicts()]
    Printer(printer.fmt, printer.out, printer.err, columns=columns).collection(iter([entries]), None)


def _print_report(report: ApplyReport, printer: Printer) -> None:
    columns = list(_REPORT_COLUMNS)
    if printer.fmt in ("json", "yaml"):
        printer.value({"entity_set": report.entity_set, "counts": report.counts, "results": report.as_dicts()})
        return
    Printer(printer.fmt, printer.out, printer.err, columns=columns).collection(iter([report.as_dicts()]), None)
