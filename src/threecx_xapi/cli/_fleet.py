"""Running a command against one PBX or many, and printing what many answered as one output.

A command hands :func:`for_each_pbx` its work, ``work(pbx, printer, name)``: call the PBX, print through
``printer`` (dry-run text to ``printer.out``), save files under ``name``. With one PBX that is the command as it
always was: the printer prints to stdout as the answer streams in. With several (``--profile a,b,c``,
``--all-profiles``), every PBX runs at once (``--concurrency``) with a :class:`Rows` printer that keeps its
answer as rows, and then, PBX by PBX in name order as each is done, the rows are printed as one collection
in the chosen format, each row with a leading ``pbx`` field: a single answer is one row, a collection one row
per item, a ``--query`` result one row per list element (``{"pbx": ..., "value": ...}`` for a scalar). A
failed PBX is told on stderr, every line starting ``pbx NAME:``, and the others go on; so is a PBX whose
``X-3CX-Version`` is another XAPI than this client's (a note, instead of the once-a-process warning); at the end
a summary line, and the exit code of the first failed PBX (by name) when any failed.
"""

from __future__ import annotations

import io
import itertools
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TextIO, TypeVar

from threecx_xapi import XAPI, PBXOutcome, XAPIVersionWarning
from threecx_xapi._version import check_server_version, xapi_version

from ._connection import Connection, each_pbx, open_client
from ._errors import USAGE, CommandError, exit_code_for, report
from ._output import Printer

__all__ = [
    "PBX_FIELD",
    "Rows",
    "Work",
    "check_fleet_output",
    "fleet_output",
    "for_each_pbx",
    "run_each",
    "tagged",
]

T = TypeVar("T")

PBX_FIELD = "pbx"
PLACEHOLDER = "{pbx}"

# The command's part for one PBX: its client, where to print, and its name ("" with one PBX).
Work = Callable[[XAPI, Printer, str], None]


def tagged(pbx: str, value: Any) -> list[dict[str, Any]]:
    """Rows of one PBX's answer: a list gives a row per element, a dict one row, a scalar ``{"value": ...}``."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    rows = []
    for item in items:
        fields = item if isinstance(item, dict) else {"value": item}
        rows.append({PBX_FIELD: pbx, **{k: v for k, v in fields.items() if k != PBX_FIELD}})
    return rows


class Rows(Printer):
    """A printer that keeps one PBX's answer as tagged rows (after ``--query``) instead of printing it.

    ``out`` collects text (a dry run's request); ``to(handle)`` still prints for real (``--output`` files).
    """

    def __init__(self, pbx: str, like: Printer) -> None:
        super().__init__(like.fmt, io.StringIO(), like.err, query=like.query, columns=like.columns)
        self.pbx = pbx
        self.rows: list[dict[str, Any]] = []
        self.count: int | None = None
        self.printed = False  # whether the command printed an answer (not a file, not a dry run)

    def value(self, value: Any) -> None:
        self.printed = True
        if self.query is not None:
            value = self._search(value)
        self.rows += tagged(self.pbx, value)

    def collection(self, pages: Iterator[list[Any]], count: int | None) -> None:
        self.printed = True
        items = [item for page in pages for item in page]
        if self.query is not None:  # reshaped as a whole, as with one PBX
            self.value({"@odata.count": count, "value": items} if count is not None else items)
            return
        self.count = count
        self.rows += tagged(self.pbx, items)

    @property
    def text(self) -> str:
        out = self.out
        return out.getvalue() if isinstance(out, io.StringIO) else ""


def fleet_output(output: str | None, pbx: str) -> str | None:
    """``--output`` for one PBX of several: ``{pbx}`` in it replaced by the PBX's name."""
    return output.replace(PLACEHOLDER, pbx) if output and pbx else output


def check_fleet_output(connection: Connection, output: str | None) -> None:
    """With several PBXs, ``--output`` must name a file per PBX (``{pbx}`` in it); checked before sending."""
    if connection.fleet and output is not None and PLACEHOLDER not in output:
        raise CommandError(
            f"--output {output!r} with several profiles: put {PLACEHOLDER} in it for a file per PBX, "
            f"e.g. --output 'answer-{PLACEHOLDER}.json'",
            USAGE,
        )


def for_each_pbx(connection: Connection, work: Work, printer: Printer, *, dry_run: bool = False) -> None:
    """``work`` against the one PBX (printing as it goes) or every chosen PBX (see the module docstring)."""
    if not connection.fleet:
        with open_client(connection, dry_run=dry_run) as pbx:
            work(pbx, printer, "")
        return
    outcomes = each_pbx(connection, lambda name, pbx: _kept(name, pbx, work, printer), dry_run=dry_run)
    failed: list[PBXOutcome[Rows]] = []
    total = 0

    def answers() -> Iterator[list[Any]]:
        nonlocal total
        for outcome in outcomes:
            total += 1
            rows = outcome.value
            if outcome.error is not None or rows is None:
                failed.append(outcome)
                _tell(outcome, printer.err)
                continue
            if rows.text:
                printer.out.write(f"# {PBX_FIELD} {outcome.pbx}\n{rows.text}")
            if rows.count is not None:
                print(f"{PBX_FIELD} {outcome.pbx}: @odata.count: {rows.count}", file=printer.err)
            if outcome.version and check_server_version(outcome.version):
                print(
                    f"{PBX_FIELD} {outcome.pbx}: note: X-3CX-Version {outcome.version}; this client speaks XAPI "
                    f"{xapi_version()}, so operations and fields may differ",
                    file=printer.err,
                )
            if rows.printed:
                yield rows.rows

    combined = Printer(
        printer.fmt, printer.out, printer.err, columns=[PBX_FIELD, *printer.columns] if printer.columns else []
    )
    with warnings.catch_warnings():  # the version of each PBX that differs is a note line of its own instead
        warnings.filterwarnings("ignore", category=XAPIVersionWarning)
        pages = answers()
        first = next(pages, None)  # no PBX printed (a dry run, files saved, all failed): no empty document either
        if first is not None:
            combined.collection(itertools.chain([first], pages), None)
    _finish(failed, total, printer.err)


def run_each(
    connection: Connection, work: Callable[[str, XAPI], T], done: Callable[[str, T], None], err: TextIO
) -> None:
    """For commands whose output is files and a summary on stderr (export, snapshot) rather than rows.

    ``work(name, pbx)`` against every chosen PBX at once; ``done(name, value)`` for each that succeeded, in name
    order; a failed PBX is told on stderr and the others go on; then the summary line, and the exit code of the
    first failed PBX (by name) when any failed.
    """
    failed: list[PBXOutcome[Any]] = []
    total = 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=XAPIVersionWarning)
        for outcome in each_pbx(connection, work):
            total += 1
            if outcome.error is not None or outcome.value is None:
                failed.append(outcome)
                _tell(outcome, err)
            else:
                done(outcome.pbx, outcome.value)
    _finish(failed, total, err)


def _kept(name: str, pbx: XAPI, work: Work, printer: Printer) -> Rows:
    rows = Rows(name, printer)
    work(pbx, rows, name)
    return rows


def _tell(outcome: PBXOutcome[Any], err: Any) -> None:
    """A failed PBX on stderr: the usual error report, every line prefixed ``pbx NAME:``."""
    text = io.StringIO()
    report(outcome.error or CommandError("the PBX gave no answer"), text)
    lines = text.getvalue().rstrip("\n").splitlines()
    if outcome.version and outcome.version not in lines[0]:
        lines[0] += f" (X-3CX-Version {outcome.version})"
    err.write("".join(f"{PBX_FIELD} {outcome.pbx}: {line}\n" for line in lines))


def _finish(failed: list[PBXOutcome[Any]], total: int, err: Any) -> None:
    if not failed:
        print(f"{total} PBXs: all ok", file=err)
        return
    first = failed[0]
    code = exit_code_for(first.error) if first.error is not None else 1
    names = ", ".join(outcome.pbx for outcome in failed)
    raise CommandError(f"{len(failed)} of {total} PBXs failed: {names}", code)
