"""Rows to files: CSV and JSON Lines, written as they come, with the byte offset a checkpoint records.

Rows are the PBX's JSON objects by wire name, as it sent them (timestamps included: ``2026-03-01T07:26:24.000Z``
stays that text). JSON Lines writes each row as one compact JSON object. CSV has one column per property of
the operation's item schema (or the ``$select``ed ones), fixed before the first row so that an export resumed or
continued later appends rows under the same header; ``true``/``false`` for booleans, nested values as compact
JSON, null as an empty cell. A property a row has beyond those columns cannot go into the CSV: the writer
counts and names such properties (the export's summary reports them) instead of dropping them silently.
Parquet is not offered.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ._errors import ExportError

__all__ = ["FORMATS", "RowWriter", "format_for", "open_writer", "write_csv", "write_jsonl"]

FORMATS = ("csv", "jsonl")


def format_for(path: str | os.PathLike[str], fmt: str | None) -> str:
    """``fmt``, else the file's suffix (``.jsonl``/``.ndjson`` JSON Lines, anything else CSV)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ExportError(f"unknown format {fmt!r}: use {' or '.join(FORMATS)}")
        return fmt
    return "jsonl" if Path(path).suffix.lower() in (".jsonl", ".ndjson") else "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _bool_cell(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else _cell(value)


def _json_cell(value: Any) -> Any:
    return "[]" if value == [] else _cell(value)


_CELLS: dict[str, Callable[[Any], Any]] = {"boolean": _bool_cell, "array": _json_cell, "object": _json_cell}


class RowWriter:
    """Writes rows to a binary file in one format; :meth:`flush` returns the offset reached.

    ``kinds`` gives a column's JSON type (``string``, ``integer``, ``boolean``, ``array`` ...) where the schema
    declares it: strings and numbers go to the CSV as they are, and only the other columns (and those of unknown
    type) are converted cell by cell, which keeps 100 000 rows of 37 columns a matter of a second.
    """

    def __init__(
        self,
        handle: IO[bytes],
        fmt: str,
        columns: Sequence[str],
        *,
        header: bool,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        self.handle = handle
        self.fmt = fmt
        self.columns = list(columns)
        self._known = set(columns)
        self.extra_fields: dict[str, int] = {}  # CSV only: properties outside the columns, and how many rows had them
        self._header = header and fmt == "csv"
        plain = ("string", "integer", "number")
        kinds = kinds or {}
        self._convert: list[tuple[int, Callable[[Any], Any]]] = [
            (index, _CELLS.get(kinds.get(name, ""), _cell))
            for index, name in enumerate(self.columns)
            if kinds.get(name) not in plain
        ]

    def write(self, rows: Iterable[Mapping[str, Any]]) -> None:
        buffer = io.StringIO()
        if self.fmt == "jsonl":
            for row in rows:
                buffer.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                buffer.write("\n")
        else:
            writer = csv.writer(buffer, lineterminator="\n")
            if self._header:
                writer.writerow(self.columns)
                self._header = False
            columns, known, convert = self.columns, self._known, self._convert
            rows = list(rows)
            present: set[str] = set()
            for row in rows:
                present.update(row)
            if not present <= known:  # rarely: count the rows with properties that have no column
                for row in rows:
                    for name in row.keys() - known:
                        self.extra_fields[name] = self.extra_fields.get(name, 0) + 1
            table = [list(map(row.get, columns)) for row in rows]  # None is written as an empty cell by csv
            for index, cell in convert:
                for values in table:
                    value = values[index]
                    if value is not None:
                        values[index] = cell(value)
            writer.writerows(table)
        self.handle.write(buffer.getvalue().encode("utf-8"))

    def flush(self, *, durable: bool = False) -> int:
        """Everything written so far handed to the OS (and to disk with ``durable``); the byte offset."""
        self.handle.flush()
        if durable:
            with contextlib.suppress(OSError, io.UnsupportedOperation):  # a pipe or a terminal: nothing to sync
                os.fsync(self.handle.fileno())
        return self.handle.tell()


def open_writer(handle: IO[bytes], fmt: str, columns: Sequence[str], *, header: bool = True) -> RowWriter:
    """A :class:`RowWriter` on ``handle``; ``header=False`` when appending under an existing CSV header."""
    return RowWriter(handle, format_for("", fmt), columns, header=header)


def _columns_of(rows: list[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def write_csv(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str], *, columns: Sequence[str] = ()) -> int:
    """Write ``rows`` (an export, or any iterable of dicts) to a CSV file as they come; the number of rows.

    Without ``columns`` the header is taken from the rows of the first 1000 (the rows are held until then).
    """
    with open(path, "wb") as handle:
        iterator = iter(rows)
        first: list[Mapping[str, Any]] = []
        if not columns:
            for row in iterator:
                first.append(row)
                if len(first) >= 1000:
                    break
        writer = RowWriter(handle, "csv", columns or _columns_of(first), header=True)
        writer.write(first)
        return len(first) + _write_batches(writer, iterator)


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write ``rows`` to a JSON Lines file as they come, one compact object a line; the number of rows."""
    with open(path, "wb") as handle:
        return _write_batches(RowWriter(handle, "jsonl", (), header=False), rows)


def _write_batches(writer: RowWriter, rows: Iterable[Mapping[str, Any]], size: int = 1000) -> int:
    """``rows`` through ``writer`` ``size`` at a time, so nothing is held but one batch; the number written."""
    count = 0
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            writer.write(batch)
            count += len(batch)
            batch = []
    writer.write(batch)
    return count + len(batch)
