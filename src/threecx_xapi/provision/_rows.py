"""Rows to provision, from a CSV, JSON or YAML file (or any iterable of mappings), numbered as the file has them.

A CSV has a header row of column names; every later line is a row, its cells text (an empty cell is a field
left alone). JSON is an array of objects (or an OData answer, ``{"value": [...]}``, as ``--format json``
prints it); YAML a sequence of mappings. Row 1 is the first row of data. Anything malformed is a
:class:`ProvisionError` naming the file and row, raised before anything is sent.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import ProvisionError

__all__ = ["FILE_FORMATS", "Row", "read_rows", "rows_from"]

FILE_FORMATS = ("csv", "json", "yaml")
_SUFFIXES = {".csv": "csv", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True)
class Row:
    """One row: ``number`` counts data rows from 1; ``values`` maps column name to value as the file has it."""

    number: int
    values: Mapping[str, object]


def rows_from(items: Iterable[Mapping[str, object] | Row], *, source: str = "rows") -> list[Row]:
    """``items`` as numbered rows (``Row`` objects are kept as they are)."""
    rows: list[Row] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, Row):
            rows.append(item)
            continue
        if not isinstance(item, Mapping):
            raise ProvisionError(f"{source}, row {index}: expected an object of column -> value, got {_kind(item)}")
        for name in item:
            if not isinstance(name, str):
                raise ProvisionError(f"{source}, row {index}: column names must be text, got {name!r}")
        rows.append(Row(index, dict(item)))
    return rows


def read_rows(path: str | os.PathLike[str], *, format: str | None = None) -> list[Row]:
    """The rows of the file at ``path``; ``format`` (csv, json, yaml) defaults to the file's suffix."""
    where = Path(path)
    fmt = format or _SUFFIXES.get(where.suffix.lower())
    if fmt not in FILE_FORMATS:
        raise ProvisionError(f"{where}: cannot tell the format from the name; say csv, json or yaml")
    try:
        text = where.read_text("utf-8-sig")
    except OSError as exc:
        raise ProvisionError(f"{where}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ProvisionError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_rows(text, fmt, source=str(where))


def parse_rows(text: str, fmt: str, *, source: str = "input") -> list[Row]:
    """Rows from ``text`` in format ``fmt`` (csv, json or yaml)."""
    if fmt == "csv":
        rows = _csv_rows(text, source)
    elif fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ProvisionError(f"{source}: not valid JSON: {exc}") from None
        rows = rows_from(_items(data, source), source=source)
    elif fmt == "yaml":
        rows = rows_from(_items(_yaml(text, source), source), source=source)
    else:
        raise ProvisionError(f"unknown input format {fmt!r}: expected one of {', '.join(FILE_FORMATS)}")
    if not rows:
        raise ProvisionError(f"{source}: no rows")
    return rows


def _csv_rows(text: str, source: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ProvisionError(f"{source}: no header row (the first line names the columns)")
        names = [cell.strip() for cell in header]
        if "" in names:
            raise ProvisionError(f"{source}: column {names.index('') + 1} of the header has no name")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ProvisionError(f"{source}: the header names {', '.join(repeated)} twice")
        rows: list[Row] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            number = len(rows) + 1
            if len(cells) > len(names):
                raise ProvisionError(
                    f"{source}, row {number} (line {reader.line_num}): {len(cells)} cells, the header has {len(names)}"
                )
            cells += [""] * (len(names) - len(cells))  # a short line: the missing cells are empty
            rows.append(Row(number, dict(zip(names, cells, strict=True))))
        return rows
    except csv.Error as exc:
        raise ProvisionError(f"{source}, line {reader.line_num}: {exc}") from None


def _items(data: Any, source: str) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        data = data["value"]
    if not isinstance(data, list):
        raise ProvisionError(f"{source}: expected a list of rows (objects), got {_kind(data)}")
    return data


def _yaml(text: str, source: str) -> Any:
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml comes with the cli extra
        raise ProvisionError("reading YAML needs pyyaml: pip install 'threecx-xapi[cli]'") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProvisionError(f"{source}: not valid YAML: {exc}") from None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return type(value).__name__
