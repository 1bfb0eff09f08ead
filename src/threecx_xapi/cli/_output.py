"""Printing answers: json, jsonl, table, csv or yaml, after an optional JMESPath ``--query``.

Values are the PBX's JSON, by wire names (a model's ``to_dict()``), so JSON output can be fed back as
``--data``. Collections arrive as an iterator of pages and json, jsonl and csv print each page as it
arrives (memory stays flat over ``--all``); a table and yaml need every row first, and so does ``--query``,
which reshapes the whole answer. The table fits the terminal: the ``--select``ed columns, else the most
telling scalar ones, with a caption saying how many were left out.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

__all__ = ["FORMATS", "Printer", "default_format", "odata_collection", "to_wire", "with_progress"]

FORMATS = ("json", "jsonl", "table", "csv", "yaml")
_PREFERRED = (
    "pbx",  # the PBX a row came from, with several profiles
    "Id",
    "Number",
    "Name",
    "FirstName",
    "LastName",
    "DisplayName",
    "EmailAddress",
    "Enabled",
    "State",
    "Type",
    "Status",
)
_COLUMN_WIDTH = 16  # a column needs about this many characters to be worth showing
_CELL_LIMIT = 60


def default_format(stream: TextIO) -> str:
    """``table`` for a person at a terminal, ``json`` for a pipe or a file."""
    return "table" if _isatty(stream) else "json"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def to_wire(value: Any) -> Any:
    """A model as its wire-named dict (``to_dict()``); lists walked; anything else as it is."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        return to_dict()
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    return value


def odata_collection(value: Any) -> tuple[list[Any], int | None] | None:
    """The items and ``@odata.count`` of an OData collection answer (``{"@odata.context", "value": [...]}``)."""
    if not isinstance(value, dict) or not isinstance(value.get("value"), list):
        return None
    if any(key != "value" and not key.startswith("@odata.") for key in value):
        return None
    count = value.get("@odata.count")
    return value["value"], count if isinstance(count, int) else None


def _json(value: Any, indent: int | None = 2) -> str:
    separators = None if indent else (",", ":")
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str, separators=separators)


class Printer:
    """Prints one answer in one format to ``out`` (stdout); notes go to ``err`` (stderr)."""

    def __init__(
        self, fmt: str, out: TextIO, err: TextIO, *, query: str | None = None, columns: Sequence[str] = ()
    ) -> None:
        self.fmt = fmt
        self.out = out
        self.err = err
        self.query = query
        self.columns = list(columns)

    def to(self, out: TextIO) -> Printer:
        """The same printer, writing to ``out``."""
        return Printer(self.fmt, out, self.err, query=self.query, columns=self.columns)

    # -- single answers -----------------------------------------------------------------------------

    def value(self, value: Any) -> None:
        """A single answer (an entity, a function's result, a reshaped ``--query`` result)."""
        if self.query is not None:
            value = self._search(value)
        fmt = self.fmt
        if fmt == "json":
            self.out.write(_json(value) + "\n")
        elif fmt == "jsonl":
            for item in value if isinstance(value, list) else [value]:
                self.out.write(_json(item, indent=None) + "\n")
        elif fmt == "yaml":
            self._yaml(value)
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            self._rows(iter([value]) if value else iter([]), None)
        elif isinstance(value, dict) and fmt == "csv":
            self._csv(iter([[value]]))
        elif isinstance(value, dict):
            self._record_table(value)
        elif isinstance(value, list):
            for item in value:
                self.out.write(_cell(item, limit=None) + "\n")
        elif value is not None:
            self.out.write(_cell(value, limit=None) + "\n")

    # -- collections ---------------------------------------------------------------------------------

    def collection(self, pages: Iterator[list[Any]], count: int | None) -> None:
        """The items of a collection, page by page; ``count`` is ``@odata.count`` when it was asked for."""
        if self.query is not None or self.fmt == "yaml":
            items = [item for page in pages for item in page]
            whole: Any = {"@odata.count": count, "value": items} if count is not None else items
            self.value(whole)
            return
        if self.fmt == "json":
            self._json_stream(pages, count)
        elif self.fmt == "jsonl":
            for page in pages:
                self.out.writelines(_json(item, indent=None) + "\n" for item in page)
                self.out.flush()
            if count is not None:
                print(f"@odata.count: {count}", file=self.err)
        elif self.fmt == "csv":
            self._csv(pages)
            if count is not None:
                print(f"@odata.count: {count}", file=self.err)
        else:
            self._rows(pages, count)

    def _json_stream(self, pages: Iterator[list[Any]], count: int | None) -> None:
        if count is not None:
            head, tail, pad = '{\n  "@odata.count": ' + str(count) + ',\n  "value": [', "\n  ]\n}\n", "    "
        else:
            head, tail, pad = "[", "\n]\n", "  "
        self.out.write(head)
        first = True
        for page in pages:
            for item in page:
                text = _json(item).replace("\n", "\n" + pad)
                self.out.write(("\n" if first else ",\n") + pad + text)
                first = False
            self.out.flush()
        self.out.write(tail if not first else tail.replace("\n", "", 1))

    # -- csv -----------------------------------------------------------------------------------------

    def _csv(self, pages: Iterator[list[Any]]) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        header: list[str] | None = None
        late: set[str] = set()
        for page in pages:
            rows = [item if isinstance(item, dict) else {"value": item} for item in page]
            if header is None:
                if not rows:
                    continue
                header = self.columns or _keys(rows)
                writer.writerow(header)
            for row in rows:
                for key in row.keys() - set(header) - late:
                    if not self.columns:
                        late.add(key)
                        print(
                            f"note: column {key!r} first appeared after the header was written; "
                            "it is not in this CSV (name it in --select)",
                            file=self.err,
                        )
                writer.writerow([_csv_cell(row.get(name)) for name in header])
            self.out.flush()

    # -- tables --------------------------------------------------------------------------------------

    def _console(self) -> Any:
        from rich.console import Console

        width = shutil.get_terminal_size((120, 24)).columns if _isatty(self.out) else 200
        return Console(file=self.out, width=width, highlight=False, soft_wrap=False)

    def _rows(self, pages: Iterable[list[Any]], count: int | None) -> None:
        from rich.table import Table

        rows = [item if isinstance(item, dict) else {"value": item} for page in pages for item in page]
        console = self._console()
        everything = _keys(rows)
        if self.columns:
            shown = self.columns
        else:
            scalar = [k for k in everything if any(not isinstance(r.get(k), (dict, list)) for r in rows if k in r)]
            ranked = [k for k in _PREFERRED if k in scalar] + [k for k in scalar if k not in _PREFERRED]
            shown = ranked[: max(2, console.width // _COLUMN_WIDTH)]
        notes = [f"{len(rows)} items" + (f" of {count}" if count is not None else "")]
        hidden = len(everything) - len([k for k in shown if k in everything])
        if hidden > 0:
            notes.append(f"{hidden} more columns: --select A,B or --format json")
        table = Table(*shown, caption="; ".join(notes), show_lines=False)
        for row in rows:
            table.add_row(*(_cell(row.get(name)) for name in shown))
        console.print(table)

    def _record_table(self, record: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table("Field", "Value")
        names = self.columns or list(record)
        for name in names:
            table.add_row(name, _cell(record.get(name)))
        self._console().print(table)

    def _yaml(self, value: Any) -> None:
        import yaml

        yaml.safe_dump(value, self.out, sort_keys=False, allow_unicode=True, default_flow_style=False)

    def _search(self, value: Any) -> Any:
        import jmespath
        import jmespath.exceptions

        from ._errors import USAGE, CommandError

        try:
            return jmespath.search(self.query or "", value)
        except jmespath.exceptions.JMESPathError as exc:
            raise CommandError(f"--query {self.query!r}: {exc}", USAGE) from None


def _keys(rows: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _cell(value: Any, limit: int | None = _CELL_LIMIT) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _json(value, indent=None) if isinstance(value, (dict, list)) else str(value)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _csv_cell(value: Any) -> str:
    return _cell(value, limit=None)


def with_progress(pages: Iterator[list[Any]], total: int | None, *, enabled: bool) -> Iterator[list[Any]]:
    """``pages`` with a progress bar on stderr (items, and the total when known) while they are walked."""
    if not enabled:
        yield from pages
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns: list[Any] = [TextColumn("items"), MofNCompleteColumn() if total else TextColumn("{task.completed}")]
    if total:
        columns.insert(1, BarColumn())
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as progress:
        task = progress.add_task("items", total=total)
        for page in pages:
            yield page
            progress.advance(task, len(page))
