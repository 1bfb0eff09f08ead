"""``threecx-xapi export RESOURCE OPERATION``: every row of a paged operation to a CSV or JSON Lines file.

The commands are built from the registry like the operations themselves, one per paged operation (``$top`` and
``$skip``, a JSON collection), with the operation's function parameters as options whose defaults are what the
3CX web client sends (listed by ``--help``), so ``threecx-xapi export report-call-log-data get-call-log-data
--period-from 2026-03-01 --period-to 2026-03-31 -o calls.csv`` needs nothing else. The work is the SDK's
:class:`threecx_xapi.export.Export`: windows (``--window``), bounded concurrency (``--concurrency``), checks
against ``@odata.count``, de-duplication, a checkpoint beside the output (``--resume``, ``--since-last``).
Bad input (an unknown or unpaged operation, a bad window, time zone or moment, a period ending before it
starts) is a usage error (exit 2) before any request. The summary goes to stderr; on a terminal, so does a
progress bar (windows done, rows, rate, time left).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from threecx_xapi import XAPI

from ._catalog import Entry, kebab, operations_of, resources
from ._connection import Connection, open_client
from ._errors import USAGE, CommandError
from ._fleet import check_fleet_output, fleet_output, run_each

__all__ = ["export"]

_TYPES: dict[str, click.ParamType[Any]] = {"int": click.INT, "bool": click.BOOL, "string": click.STRING}


def _paged(entry: Entry) -> bool:
    record = entry.record
    options = record.get("odata_options") or ()
    response = record.get("response") or {}
    return "$top" in options and "$skip" in options and bool(response.get("collection_item")) and not response["file"]


def _exportable(resource: str) -> dict[str, Entry]:
    return {name: entry for name, entry in (operations_of(resource) or {}).items() if _paged(entry)}


def _parameter_help(param: dict[str, Any], period: tuple[str, str] | None) -> str:
    from threecx_xapi.export import default_for

    name = str(param["name"])
    python = str(param["python_name"])
    if period is not None and python == period[0]:
        return f"{name}: start of the period (2026-03-01, 2026-03-01T08:00:00[Z], today, yesterday; in --tz)"
    if period is not None and python == period[1]:
        return f"{name}: end of the period (a date means its end; default now)"
    found, value = default_for(param, time_zone="<--tz>")  # type: ignore[arg-type]
    kind = param.get("literal") or param["type"]
    if not found:
        return f"{name}: {kind}, required"
    shown = "true" if value is True else "false" if value is False else repr(value) if kind == "string" else value
    return f"{name}: {kind}; default {shown} (as the 3CX web client sends)"


def _build(resource: str, entry: Entry) -> click.Command:
    from threecx_xapi.export import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, DEFAULT_WINDOW, find_operation

    operation = find_operation(entry.record["operation_id"])
    params: list[click.Parameter] = []
    arguments: dict[str, str] = {}
    for param in operation.function_parameters():
        python = str(param["python_name"])
        literal = str(param.get("literal") or "string")
        name = f"p_{python}"
        kind = click.STRING if literal == "datetime" else _TYPES.get(literal, click.STRING)
        params.append(
            click.Option([f"--{kebab(python)}", name], type=kind, help=_parameter_help(dict(param), operation.period))
        )
        arguments[name] = python
    for option, text in (
        ("$filter", "$filter: an OData condition on the rows"),
        ("$select", "$select: the properties to export, comma-separated (also the CSV's columns)"),
        ("$orderby", "$orderby (default: the row key, so that $skip pages are stable)"),
        ("$search", "$search: words to search for"),
    ):
        if operation.takes(option):
            params.append(click.Option([f"--{option[1:]}", f"o_{option[1:]}"], help=text))
    params += [
        click.Option(["--output", "-o", "output"], required=True, metavar="FILE", help="the file to write"),
        click.Option(
            ["--format", "-f", "fmt"], type=click.Choice(["csv", "jsonl"]), help="default: by suffix (.jsonl), else csv"
        ),
        click.Option(
            ["--window", "window"],
            default=DEFAULT_WINDOW,
            show_default=True,
            help="split the period into windows of this length (30m, 6h, 1d, 1w) or none",
        ),
        click.Option(
            ["--concurrency", "concurrency"],
            type=click.IntRange(1, 32),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="requests at most at once",
        ),
        click.Option(
            ["--top", "top"],
            type=click.IntRange(min=1),
            default=DEFAULT_PAGE_SIZE,
            show_default=True,
            help="rows per page ($top); a PBX that caps it lower is paged by its cap",
        ),
        click.Option(
            ["--tz", "tz"],
            default="UTC",
            show_default=True,
            help="time zone of dates, today/yesterday and day windows (Europe/Vienna); output keeps the PBX's times",
        ),
        click.Option(
            ["--resume", "resume"], is_flag=True, help="continue a run that stopped, after its last complete window"
        ),
        click.Option(
            ["--since-last", "since_last"],
            is_flag=True,
            help="export from the end of the last finished run to --period-to (default now), appended",
        ),
        click.Option(["--checkpoint", "checkpoint"], metavar="FILE", help="default: OUTPUT.checkpoint.json"),
    ]
    record = entry.record
    row_key = ", ".join(record.get("row_key") or ()) or "none (rows are not de-duplicated)"
    period = (
        f"Period: --{kebab(operation.period[0])} .. --{kebab(operation.period[1])}, split by --window."
        if operation.period
        else "No period: the whole collection is one window."
    )
    help_text = "\n".join(
        [
            f"Export every row of {record['operation_id']} ({record['method']} {record['path'].split('(')[0]}).",
            "",
            f"{period} Row key: {row_key}. "
            + ("Each window is checked against @odata.count." if operation.counts else "No $count to check against."),
            "",
            "\b",
            "Example:",
            f"  threecx-xapi export {resource} {entry.command} "
            + (f"--{kebab(operation.period[0])} yesterday " if operation.period else "")
            + "-o rows.csv",
        ]
    )

    @click.pass_obj
    def callback(connection: Connection, /, **values: Any) -> None:
        given = {python: values[name] for name, python in arguments.items() if values.get(name) is not None}
        options = {key[2:]: value for key, value in values.items() if key.startswith("o_") and value is not None}
        _run(connection, record["operation_id"], given, options, values)

    return click.Command(
        entry.command,
        callback=callback,
        params=params,
        help=help_text,
        short_help=str(record.get("summary") or ""),
        context_settings={"max_content_width": 120},
    )


def _run(
    connection: Connection, operation: str, given: dict[str, Any], options: dict[str, Any], values: dict[str, Any]
) -> None:
    if connection.fleet:
        check_fleet_output(connection, values["output"])
        if values["checkpoint"] is not None:
            check_fleet_output(connection, values["checkpoint"])

        def each(name: str, pbx: XAPI) -> Any:
            one = {**values, "output": fleet_output(values["output"], name)}
            one["checkpoint"] = fleet_output(values["checkpoint"], name)
            return _export(pbx, operation, given, options, one, progress=False)

        def done(name: str, summary: Any) -> None:
            print(f"pbx {name}: exported to {fleet_output(values['output'], name)}: {summary}", file=sys.stderr)

        run_each(connection, each, done, sys.stderr)
        return
    with open_client(connection) as pbx:
        summary = _export(pbx, operation, given, options, values, progress=_tty(sys.stderr))
    print(f"exported to {values['output']}: {summary}", file=sys.stderr)


def _export(
    pbx: XAPI, operation: str, given: dict[str, Any], options: dict[str, Any], values: dict[str, Any], *, progress: bool
) -> Any:
    """One PBX's export to ``values["output"]``; its summary. Bad arguments are a usage error before any request."""
    from threecx_xapi.export import Export, ExportError

    try:
        job = Export(
            pbx,
            operation,
            window=values["window"],
            concurrency=values["concurrency"],
            tz=values["tz"],
            top=values["top"],
            **options,
            **given,
        )
        if not (values["resume"] or values["since_last"]):
            job.windows()  # a missing period start is refused here, before any request
    except ExportError as exc:
        raise CommandError(str(exc), USAGE) from None
    with _progress(enabled=progress) as bar:
        return job.to_file(
            values["output"],
            format=values["fmt"],
            resume=values["resume"],
            since_last=values["since_last"],
            checkpoint=values["checkpoint"],
            progress=bar,
        )


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Any]:
    """A callback drawing windows done, rows, rows a second and time left on stderr (None when not a terminal)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from threecx_xapi.export import ExportProgress

    columns = (
        TextColumn("windows"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]} rows, {task.fields[rate]:.0f}/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("export", total=None, rows=0, rate=0.0)

        def update(state: ExportProgress) -> None:
            rate = state.rows / state.seconds if state.seconds > 0 else 0.0
            bar.update(task, total=state.windows, completed=state.windows_done, rows=state.rows, rate=rate)

        yield update


def _tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _ExportResource(click.Group):
    """The paged operations of one resource."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_exportable(self.name or ""))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = (operations_of(self.name or "") or {}).get(cmd_name)
        if entry is None:
            return None
        if not _paged(entry):
            raise click.UsageError(
                f"{self.name} {cmd_name} cannot be exported: it is not a paged collection "
                "(no $top/$skip, or it answers a file); `threecx-xapi export --help` lists what can be"
            )
        return _build(self.name or "", entry)


class _Export(click.Group):
    """Resources that have paged operations, each built when named."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in resources() if _exportable(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if operations_of(cmd_name) is None:
            return None
        group = _ExportResource(cmd_name, help=f"Paged operations of {cmd_name} to export.")
        group.context_settings["max_content_width"] = 120
        return group

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        counts = {name: len(_exportable(name)) for name in self.list_commands(ctx)}
        rows = [(name, f"{n} paged operation{'' if n == 1 else 's'}") for name, n in counts.items()]
        with formatter.section("Resources (`threecx-xapi export RESOURCE --help` lists their operations)"):
            formatter.write_dl(rows)


export = _Export(
    "export",
    help=(
        "Every row of a paged operation to CSV or JSON Lines: windowed, checked, resumable.\n\n"
        "\b\nExample:\n  threecx-xapi export report-call-log-data get-call-log-data --period-from 2026-03-01 "
        "--period-to 2026-03-31 --tz Europe/Vienna -o calls.csv"
    ),
    context_settings={"max_content_width": 120},
)
