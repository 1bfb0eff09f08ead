"""Exports: every row of a paged operation (collections and report functions), windowed, checked, resumable.

    from threecx_xapi import XAPI
    from threecx_xapi.export import write_jsonl

    pbx = XAPI()
    job = pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-31", tz="Europe/Vienna")
    summary = job.to_file("calls.csv")            # with calls.csv.checkpoint.json beside it
    print(summary)                                # rows, windows, pages, retries, duplicates dropped, duration
    write_jsonl(pbx.export("ListUser", window="none"), "users.jsonl")   # or: for row in pbx.export(...)

The command line is ``threecx-xapi export RESOURCE OPERATION``. See :class:`Export` for what is checked.
"""

from ._checkpoint import Checkpoint, checkpoint_path, load_checkpoint
from ._errors import CountMismatchError, ExportError
from ._export import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    DEFAULT_WINDOW,
    Export,
    ExportProgress,
    ExportSummary,
)
from ._operations import ExportOperation, default_for, find_operation
from ._windows import parse_moment, parse_window, split_period
from ._writers import FORMATS, write_csv, write_jsonl

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_WINDOW",
    "FORMATS",
    "Checkpoint",
    "CountMismatchError",
    "Export",
    "ExportError",
    "ExportOperation",
    "ExportProgress",
    "ExportSummary",
    "checkpoint_path",
    "default_for",
    "find_operation",
    "load_checkpoint",
    "parse_moment",
    "parse_window",
    "split_period",
    "write_csv",
    "write_jsonl",
]
