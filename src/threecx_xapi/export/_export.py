"""``Export``: every row of a paged operation, window by window, checked, de-duplicated, to a file or a loop.

``pbx.export("GetCallLogData", period_from="2026-03-01", period_to="2026-03-31", tz="Europe/Vienna")`` is
iterable (each row once, as the PBX's JSON object) and ``.to_file("calls.csv")`` writes it with a checkpoint
(``resume=True`` continues a broken run, ``since_last=True`` exports what is new since the last one). Nothing is
sent before the whole request is known to be good: the operation, its arguments, the period and the window are
checked when the ``Export`` is made.

Each complete window is checked against ``@odata.count`` (where the operation offers ``$count``): a window that
delivered more or fewer rows raises :class:`CountMismatchError`. Rows are de-duplicated on the operation's row
key (``row_key`` in the registry, e.g. ``SegmentId`` for the call log) within a window and against the window
before it, where neighbouring windows overlap; duplicates dropped are counted in the summary.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from .._bodies import load_schemas
from .._endpoint import EndpointRequest
from .._paging import PageData
from .._responses import page as page_of
from .._types import RequestOptions
from ._checkpoint import Checkpoint, checkpoint_path, load_checkpoint, save_checkpoint
from ._errors import CountMismatchError, ExportError
from ._operations import ExportOperation, find_operation
from ._pages import Page, Rows, fetch_windows
from ._windows import Window, parse_moment, parse_window, split_period, time_zone
from ._writers import RowWriter, format_for

if TYPE_CHECKING:
    from .._client import XAPI

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_PAGE_SIZE", "DEFAULT_WINDOW", "Export", "ExportProgress", "ExportSummary"]

DEFAULT_WINDOW = "1d"
DEFAULT_CONCURRENCY = 4
DEFAULT_PAGE_SIZE = 1000  # the call log takes 1000; a set that caps $top lower is paged by its cap
_MAX_CONCURRENCY = 32


@dataclass
class ExportSummary:
    """What an export did: rows delivered, windows and pages fetched, retries, duplicates dropped, duration."""

    rows: int = 0
    windows: int = 0
    pages: int = 0
    retries: int = 0  # requests sent again: after 429/5xx, a broken connection, an expired token
    refused_tops: int = 0  # pages asked again with a smaller $top after the PBX refused the one asked for
    duplicates: int = 0
    seconds: float = 0.0
    counted: bool = False  # every window was checked against @odata.count
    extra_fields: dict[str, int] = field(default_factory=dict)  # CSV: properties that had no column

    def __str__(self) -> str:
        check = "each checked against @odata.count" if self.counted else "no @odata.count to check against"
        text = (
            f"{self.rows} rows in {self.windows} windows ({check}), {self.pages} pages, {self.retries} retries, "
            + (f"{self.refused_tops} pages asked again under the PBX's $top limit, " if self.refused_tops else "")
            + f"{self.duplicates} duplicates dropped, {self.seconds:.1f} s"
        )
        if self.extra_fields:
            names = ", ".join(f"{name} ({n} rows)" for name, n in sorted(self.extra_fields.items()))
            text += f"; not in the CSV's columns: {names}"
        return text


@dataclass(frozen=True)
class ExportProgress:
    """Passed to ``progress`` after each window: windows done of all, rows so far, seconds since the start."""

    windows_done: int
    windows: int
    rows: int
    seconds: float


def _raw_page(response: httpx.Response) -> PageData[Any]:
    """A page's rows exactly as the PBX sent them (timestamps keep their text): no models are built."""
    return page_of(response, None)


def _wire(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {"value": item}


class _Attempts:
    """Counts the HTTP requests for one operation while an export runs (an event hook of the client's pool)."""

    def __init__(self, http: httpx.Client, marker: str) -> None:
        self._hooks = http.event_hooks.setdefault("request", [])
        self._marker = marker
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> None:
        path = request.url.path
        if path.endswith(self._marker) or self._marker + "(" in path:
            with self._lock:
                self.count += 1

    def __enter__(self) -> _Attempts:
        self._hooks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self in self._hooks:
            self._hooks.remove(self)


def _positive(name: str, value: object, most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (most is not None and value > most):
        limit = f" and at most {most}" if most is not None else ""
        raise ExportError(f"{name} must be a whole number of at least 1{limit}, not {value!r}")
    return value


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class Export:
    """Every row of one paged operation (see the module docstring). Made by ``pbx.export(...)``.

    ``operation`` is an operation id (``GetCallLogData``) or ``resource.method``
    (``report_call_log_data.get_call_log_data``); ``arguments`` are its function parameters by Python name,
    the period's too (``period_from=``, ``period_to=``: datetimes, dates, ISO text, ``today``, ``yesterday``,
    ``now``; the end defaults to now). Parameters not given take the web client's defaults
    (:func:`~threecx_xapi.export.default_for`). ``window`` splits the period (``1d``, ``6h``, ``none``),
    ``tz`` is the zone of dates and windows, ``top`` the page size, ``concurrency`` the most requests at once.
    """

    def __init__(
        self,
        client: XAPI,
        operation: str,
        *,
        window: str | None = DEFAULT_WINDOW,
        concurrency: int = DEFAULT_CONCURRENCY,
        tz: str = "UTC",
        top: int = DEFAULT_PAGE_SIZE,
        filter: str | None = None,
        select: str | list[str] | None = None,
        orderby: str | list[str] | None = None,
        search: str | None = None,
        now: datetime | None = None,
        **arguments: Any,
    ) -> None:
        from .._client import XAPI

        if not isinstance(client, XAPI):
            raise ExportError("an export runs on an XAPI client (it fetches pages on threads of its own)")
        self._client = client
        self.operation: ExportOperation = find_operation(operation)
        self.concurrency = _positive("concurrency", concurrency, _MAX_CONCURRENCY)
        self.top = _positive("top", top)
        self.tz = tz
        self.zone = time_zone(tz)
        self.window = parse_window(window)
        self._now = now
        op = self.operation
        given = dict(arguments)
        self.start: datetime | None = None
        self.end: datetime | None = None
        if op.period is not None:
            start_name, end_name = op.period
            start_value, end_value = given.pop(start_name, None), given.pop(end_name, None)
            self.end = parse_moment("now" if end_value is None else end_value, self.zone, end=True, now=now)
            if start_value is not None:  # else only a resume or since_last run can go on (from the checkpoint)
                self.start = parse_moment(start_value, self.zone, now=now)
                split_period(self.start, self.end, self.window, self.zone)  # refuses an end before the start
        self.arguments = op.arguments(given, time_zone=tz)
        self.options: dict[str, Any] = {}
        for name, value in (("filter", filter), ("select", select), ("orderby", orderby), ("search", search)):
            if value is not None:
                if not op.takes(f"${name}"):
                    raise ExportError(f"{op.operation_id} takes no ${name}")
                self.options[name] = value
        if "orderby" not in self.options and op.row_key and op.takes("$orderby"):
            self.options["orderby"] = ",".join(op.row_key)  # a stable order: $skip positions mean the same rows
        self.summary: ExportSummary | None = None

    # -- what the export covers ----------------------------------------------------------------------------

    def windows(self, start: datetime | None = None, end: datetime | None = None) -> list[Window | None]:
        """The windows from ``start`` (default: the period's) to ``end``; ``[None]`` for an operation without one."""
        op = self.operation
        if op.period is None:
            return [None]
        start = start or self.start
        if start is None:
            flag = op.period[0].replace("_", "-")
            raise ExportError(f"{op.operation_id} needs the start of its period: pass {op.period[0]} (--{flag})")
        assert self.end is not None
        return list(split_period(start, end or self.end, self.window, self.zone))

    def columns(self) -> list[str]:
        """The CSV columns: the ``$select``ed properties, else every property of the item schema."""
        select = self.options.get("select")
        if select:
            names = select.split(",") if isinstance(select, str) else list(select)
            return [name.strip() for name in names if name.strip()]
        item = self.operation.record["response"].get("collection_item") or ""
        schemas = load_schemas()
        columns: dict[str, None] = {}
        stack = [schemas.get(item) or {}]
        while stack:
            schema = stack.pop(0)
            for part in schema.get("allOf") or ():
                stack.append(schemas.get(str(part.get("ref") or "")) or part)
            columns.update(dict.fromkeys(schema.get("properties") or {}))
        return list(columns) or ["value"]

    def column_kinds(self) -> dict[str, str]:
        """Each property's JSON type by the item schema (``boolean``, ``array`` ...), for the CSV writer."""
        item = self.operation.record["response"].get("collection_item") or ""
        schemas = load_schemas()
        kinds: dict[str, str] = {}
        stack = [schemas.get(item) or {}]
        while stack:
            schema = stack.pop(0)
            for part in schema.get("allOf") or ():
                stack.append(schemas.get(str(part.get("ref") or "")) or part)
            for name, prop in (schema.get("properties") or {}).items():
                kind = prop.get("type") if isinstance(prop, dict) else None
                if isinstance(kind, str):
                    kinds[name] = kind
        return kinds

    def identity(self, fmt: str) -> dict[str, Any]:
        """What a checkpoint must match to be resumed: operation, arguments, options, format, window, zone."""
        return {
            "operation": self.operation.operation_id,
            "arguments": {name: str(value) for name, value in sorted(self.arguments.items())},
            "options": {name: str(value) for name, value in sorted(self.options.items())},
            "format": fmt,
            "window": str(self.window),
            "tz": self.tz,
        }

    # -- running -------------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every row once, in window order; ``summary`` is set when the iteration ends."""
        for page in self.pages():
            yield from page

    def pages(
        self,
        windows: list[Window | None] | None = None,
        *,
        seen: Iterable[Any] = (),
        on_window: Callable[[int, Window | None, list[Any]], None] | None = None,
        progress: Callable[[ExportProgress], None] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The rows of ``windows`` (default: all), page by page, each once. ``seen`` are row keys already delivered
        (of the window before); ``on_window(index, window, keys)`` is called once a window's pages are yielded."""
        plan = self.windows() if windows is None else windows
        op = self.operation
        endpoint = importlib.import_module(op.record["module"])  # its build(), with the client's own pager
        counted = op.counts
        key_names = op.row_key
        single = key_names[0] if len(key_names) == 1 else None  # one key: its value itself is the set's member
        blank = (None,) * len(key_names)  # a row without any of its key's properties cannot be matched
        summary = ExportSummary(counted=counted)
        self.summary = summary
        lock = threading.Lock()
        page_total = [0, 0]  # pages, pages whose $top the PBX refused (asked again smaller)

        def fetch(index: int, skip: int, top: int) -> Page:
            window = plan[index]
            arguments = dict(self.arguments)
            if window is not None and op.period is not None:
                arguments[op.period[0]], arguments[op.period[1]] = window
            count = True if counted else None

            def build(top: int | None, skip: int | None) -> EndpointRequest:
                request: EndpointRequest = endpoint.build(**arguments, top=top, skip=skip, count=count, **self.options)
                return request

            page = self._client._get_page(build, _raw_page, top=top, skip=skip, limit=None, options=RequestOptions())
            with lock:
                page_total[0] += 1
                page_total[1] += (page.params.top or top) < top
            return Page(skip, page.params.top or top, [_wire(item) for item in page.items], page.count)

        started = time.monotonic()
        previous: set[Any] = set(_key(k) for k in seen)
        current: set[Any] = set()
        marker = op.record["path"].split("(")[0]  # /Users, /ReportCallLogData/Pbx.GetCallLogData
        with _Attempts(self._client._http, marker) as attempts:
            events = fetch_windows(len(plan), fetch, page_size=self.top, concurrency=self.concurrency, counted=counted)
            try:
                for event in events:
                    if isinstance(event, Rows):
                        fresh = event.rows
                        if key_names:
                            fresh = []
                            for row in event.rows:
                                key = row.get(single) if single else tuple(map(row.get, key_names))
                                if key is not None and key != blank:
                                    if key in current or key in previous:
                                        summary.duplicates += 1
                                        continue
                                    current.add(key)
                                fresh.append(row)
                        summary.rows += len(fresh)
                        if fresh:
                            yield fresh
                        continue
                    window = plan[event.window]
                    if event.count is not None and (
                        event.received != event.count or any(c != event.count for c in event.counts)
                    ):
                        span = (_iso(window[0]), _iso(window[1])) if window else ("", "")
                        where = f"window {span[0]} .. {span[1]}" if window else "the collection"
                        changed = sorted(set(event.counts))
                        raise CountMismatchError(
                            f"{op.operation_id}: {where} said @odata.count {event.count} but delivered "
                            f"{event.received} rows"
                            + (f" (its pages counted {', '.join(map(str, changed))})" if len(changed) > 1 else "")
                            + "; rows were lost or doubled, so the export stops here (resume to fetch it again)",
                            window=span,
                            expected=event.count,
                            received=event.received,
                        )
                    summary.windows += 1
                    keys = [list(k) if isinstance(k, tuple) else k for k in current]
                    previous, current = current, set()
                    if on_window is not None:
                        on_window(event.window, window, keys)
                    if progress is not None:
                        progress(ExportProgress(event.window + 1, len(plan), summary.rows, time.monotonic() - started))
            finally:
                events.close()  # stops the page threads now, not when the generator is collected
                summary.pages, summary.refused_tops = page_total
                summary.retries = max(0, attempts.count - summary.pages - summary.refused_tops)
                summary.seconds = time.monotonic() - started

    def to_file(
        self,
        output: str | os.PathLike[str],
        *,
        format: str | None = None,
        resume: bool = False,
        since_last: bool = False,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportSummary:
        """Write every row to ``output`` (CSV or JSON Lines, by ``format`` or suffix) with a checkpoint beside it.

        ``resume``: continue a run that stopped, from its last complete window (the output is cut back to where
        that window ended). ``since_last``: export from the end of the last finished run to this export's end
        (default now), appended. Raises :class:`ExportError` when the checkpoint is missing or of another export.
        """
        if resume and since_last:
            raise ExportError("resume and since_last exclude each other: resume finishes a run, since_last starts one")
        fmt = format_for(output, format)
        path = Path(output)
        ledger = Path(checkpoint) if checkpoint is not None else checkpoint_path(path)
        identity = self.identity(fmt)
        state: Checkpoint | None = None
        windows = [] if resume or since_last else self.windows()
        if resume or since_last:
            state = load_checkpoint(ledger)
            if state.identity != identity:
                differs = sorted(k for k in identity if identity.get(k) != state.identity.get(k))
                raise ExportError(
                    f"{ledger} is the checkpoint of another export (it differs in {', '.join(differs)}); "
                    "run the same command, or start afresh without --resume/--since-last"
                )
            if not path.exists() or path.stat().st_size < state.offset:
                raise ExportError(f"{path} is shorter than its checkpoint says ({state.offset} bytes): start afresh")
            given_start = _iso(self.start) if self.start is not None else None
            if since_last and given_start is not None:
                raise ExportError("since_last starts where the last run ended: do not give the period's start as well")
            if resume and given_start is not None and given_start != state.start:
                raise ExportError(
                    f"the run to resume started at {state.start}, not {given_start}: give the same start, or none"
                )
            if resume:
                if state.finished:
                    summary = ExportSummary(counted=self.operation.counts)
                    self.summary = summary
                    return summary
                windows = self._remaining(state, since_last=False)
            else:
                if not state.finished:
                    raise ExportError(f"the last run ({ledger}) did not finish: --resume it first")
                windows = self._remaining(state, since_last=True)
        columns = state.columns if state is not None else self.columns()
        first_start = state.start if state is not None else (_iso(self.start) if self.start else "")
        if state is not None and resume and self.operation.period is not None:
            end = state.end
        else:
            end = _iso(self.end) if self.end is not None else ""
        base_rows = state.rows if state is not None else 0
        base_windows = state.windows if state is not None else 0
        mode = "r+b" if state is not None else "wb"
        with open(path, mode) as handle:
            if state is not None:
                handle.truncate(state.offset)
                handle.seek(state.offset)
            writer = RowWriter(
                handle, fmt, columns, header=state is None or state.offset == 0, kinds=self.column_kinds()
            )
            if state is None:
                writer.write([])  # the CSV header, so that even an export without rows has it
            record = Checkpoint(
                identity,
                first_start,
                end,
                (state.end if since_last and state else state.next_start if state else first_start),
                writer.flush(),
                base_rows,
                base_windows,
                columns,
                state.last_keys if state is not None else [],
            )
            save_checkpoint(ledger, record)

            def window_done(index: int, window: Window | None, keys: list[Any]) -> None:
                record.offset = writer.flush(durable=True)
                record.rows = base_rows + (self.summary.rows if self.summary else 0)
                record.windows += 1
                record.next_start = _iso(window[1]) if window is not None else end
                record.last_keys = keys
                record.finished = index == len(windows) - 1
                save_checkpoint(ledger, record)

            seen = state.last_keys if state else []
            for page in self.pages(windows, seen=seen, on_window=window_done, progress=progress):
                writer.write(page)
            if not windows:
                record.finished = True
                save_checkpoint(ledger, record)
        summary = self.summary or ExportSummary()
        summary.extra_fields = dict(writer.extra_fields)
        return summary

    def _remaining(self, state: Checkpoint, *, since_last: bool) -> list[Window | None]:
        if self.operation.period is None:
            if since_last:
                raise ExportError(f"{self.operation.operation_id} has no period: there is no 'since' to export from")
            return [None]  # without windows, a resume is a new run of the one window
        start = parse_moment(state.end if since_last else state.next_start, self.zone)
        end = self.end if since_last else parse_moment(state.end, self.zone)
        assert end is not None
        if since_last:
            self.end = end
        if end <= start:
            return []
        return list(split_period(start, end, self.window, self.zone))


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
