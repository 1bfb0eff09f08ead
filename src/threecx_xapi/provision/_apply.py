"""Applying a plan: its writes in row order, a few at a time, each row's outcome kept; deletions last.

Writes go through the client (its retries, its shared token), ``concurrency`` at a time (default 4) and
started in row order. A failed row (the PBX's 400, a dropped connection) is reported with the PBX's error and
a hint, and does not stop the others unless ``stop_on_error``: then rows not yet started are skipped. Since a
plan is made against the live PBX, running the same file again after a partial apply plans what is done as
``unchanged`` and does only the rest.

The report has one result per plan entry (``row, key, action, status, error, hint``) and writes itself as
CSV or JSON; it holds no field values, so no secret reaches it.
"""

from __future__ import annotations

import csv
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .._exceptions import APIStatusError, XAPIError
from ._errors import ProvisionError
from ._kind import EntityKind
from ._plan import Plan, PlanEntry

__all__ = ["DEFAULT_CONCURRENCY", "REPORT_COLUMNS", "ApplyReport", "RowResult", "apply_plan"]

DEFAULT_CONCURRENCY = 4
REPORT_COLUMNS = ("row", "key", "action", "status", "error", "hint")
_STATUSES = ("ok", "failed", "skipped")
_RERUN = "run the same file again: rows already applied come out unchanged and only the rest is done"


@dataclass(frozen=True)
class RowResult:
    """What happened to one entry: ``status`` is ``ok``, ``failed`` or ``skipped`` (conflicts, and rows not
    started after a failure with ``stop_on_error``); ``error`` the PBX's (or the SDK's) message."""

    row: int | None
    key: str | None
    action: str
    status: str
    error: str = ""
    hint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ApplyReport:
    """The results of one apply, one per plan entry, in plan order."""

    entity_set: str
    results: tuple[RowResult, ...]

    def __iter__(self) -> Iterator[RowResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def counts(self) -> dict[str, int]:
        """Results by status: ``{"ok": 498, "failed": 2, "skipped": 0}``."""
        counts = dict.fromkeys(_STATUSES, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def failed(self) -> list[RowResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """Every entry applied or unchanged: nothing failed, nothing skipped."""
        return all(r.status == "ok" for r in self.results)

    def summary(self) -> str:
        done: dict[str, int] = {}
        for result in self.results:
            if result.status == "ok":
                done[result.action] = done.get(result.action, 0) + 1
        parts = [f"{n} {action}" for action, n in done.items()]
        parts += [f"{n} {status}" for status, n in self.counts.items() if status != "ok" and n]
        return f"{self.entity_set}: " + (", ".join(parts) or "nothing to do")

    def as_dicts(self) -> list[dict[str, Any]]:
        return [result.as_dict() for result in self.results]

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the report: JSON for a ``.json`` name, CSV otherwise (columns ``REPORT_COLUMNS``)."""
        where = Path(path)
        try:
            with where.open("w", encoding="utf-8", newline="") as handle:
                if where.suffix.lower() == ".json":
                    json.dump(self.as_dicts(), handle, indent=2, ensure_ascii=False, default=str)
                    handle.write("\n")
                else:
                    writer = csv.DictWriter(handle, REPORT_COLUMNS, lineterminator="\n")
                    writer.writeheader()
                    for result in self.results:
                        writer.writerow({k: "" if v is None else v for k, v in result.as_dict().items()})
        except OSError as exc:
            raise ProvisionError(f"cannot write the report to {where}: {exc.strerror or exc}") from None
        return where


def _hint(error: BaseException) -> str:
    """The SDK's hint where its message has one, else what to do about this kind of failure."""
    text = str(error)
    if "; hint: " in text:
        return text.split("; hint: ", 1)[1]
    if isinstance(error, APIStatusError) and 400 <= error.status_code < 500:
        if "ALREADY_IN_USE" in text:
            return "another entity took this value since the plan was made; " + _RERUN
        return "the PBX refused this row: correct it in the file, then " + _RERUN
    return _RERUN


def _error_text(error: BaseException) -> str:
    return str(error).split("; hint: ", 1)[0]


def apply_plan(
    pbx: Any,
    kind: EntityKind,
    plan: Plan,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    stop_on_error: bool = False,
    on_result: Callable[[RowResult], None] | None = None,
) -> ApplyReport:
    """Execute ``plan`` (creates and updates in row order, then deletions); one result per entry."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ProvisionError(f"concurrency must be a positive number of requests, not {concurrency!r}")
    if plan.entity_set != kind.name:
        raise ProvisionError(f"this plan is for {plan.entity_set}, not {kind.name}")
    stop = threading.Event()
    results: dict[int, RowResult] = {}

    def run(index: int, entry: PlanEntry) -> None:
        result = _execute(pbx, kind, entry, stop if stop_on_error else None)
        if result.status == "failed" and stop_on_error:
            stop.set()
        results[index] = result
        if on_result is not None:
            on_result(result)

    entries = list(enumerate(plan.entries))
    writes = [(i, e) for i, e in entries if e.action != "delete"]
    deletions = [(i, e) for i, e in entries if e.action == "delete"]
    for phase in (writes, deletions):
        _in_order(phase, run, concurrency)
    return ApplyReport(plan.entity_set, tuple(results[i] for i, _ in entries))


def _in_order(entries: Sequence[tuple[int, PlanEntry]], run: Callable[[int, PlanEntry], None], workers: int) -> None:
    """Run every entry, started in order, at most ``workers`` at a time; returns when all are done."""
    if not entries:
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(entries)), thread_name_prefix="provision") as pool:
        futures = [pool.submit(run, index, entry) for index, entry in entries]
        for future in futures:
            future.result()


def _execute(pbx: Any, kind: EntityKind, entry: PlanEntry, stop: threading.Event | None) -> RowResult:
    def result(status: str, error: str = "", hint: str = "") -> RowResult:
        return RowResult(entry.row, entry.key, entry.action, status, error, hint)

    if entry.action == "unchanged":
        return result("ok")
    if entry.action == "conflict":
        return result("skipped", "; ".join(entry.reasons), "correct the row in the file and run it again")
    if stop is not None and stop.is_set():
        return result("skipped", "not attempted: an earlier row failed (stop on error)", _RERUN)
    try:
        if entry.action == "create":
            kind.create(pbx, entry.body)
        elif entry.action == "update":
            kind.update(pbx, entry.entity_id, entry.body)
        else:
            kind.delete(pbx, entry.entity_id)
    except XAPIError as exc:
        return result("failed", _error_text(exc), _hint(exc))
    return result("ok")
