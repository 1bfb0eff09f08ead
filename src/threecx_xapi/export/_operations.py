"""Which operation an export runs, and the arguments it sends: found in the registry, checked before any request.

An operation can be exported when it is paged: its registry record takes ``$top`` and ``$skip`` and answers a
collection as JSON (a download that answers CSV is exported through its JSON twin, ``GetCallLogData`` for
``DownloadCallLog``). Its function parameters come from the caller, else from the defaults the 3CX web client
sends, derived from each parameter's type and name (:func:`default_for`), so a report runs with nothing but
its period: ``sourceFilter=''``, ``callTimeFilterFrom='0:00:0'``, ``hidePcalls=true``, integers ``0``.
A pair of date-time parameters (``periodFrom``/``periodTo``, ``startDt``/``endDt``, ``startDate``/``endDate``)
is the operation's period, which the export splits into windows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import _registry as registry
from ._errors import ExportError

__all__ = ["ExportOperation", "default_for", "find_operation"]

# (start, end) parameter names of a period, as the document spells them.
PERIOD_PAIRS = (("periodFrom", "periodTo"), ("startDt", "endDt"), ("startDate", "endDate"))
# .NET TimeSpan parameters the web client fills with a zero span; quoted like any string on the wire.
_TIME_SPAN = re.compile(r"^callTimeFilter(From|To)$|Interval$")
_ZERO_SPAN = "0:00:0"


@dataclass(frozen=True)
class ExportOperation:
    """One paged operation of the registry, as an export needs it."""

    record: registry.OperationRecord
    period: tuple[str, str] | None  # python names of the period's start and end parameters

    @property
    def operation_id(self) -> str:
        return self.record["operation_id"]

    @property
    def resource(self) -> str:
        return str(self.record["module"]).split(".")[2]

    @property
    def method(self) -> str:
        return self.record["function"]

    @property
    def row_key(self) -> tuple[str, ...]:
        """The properties that identify a row (``("SegmentId",)``), from the registry; empty when none is known."""
        key: Any = self.record.get("row_key") or ()
        return tuple(str(name) for name in key)

    @property
    def counts(self) -> bool:
        """Whether the operation offers ``$count`` (then every window is checked against ``@odata.count``)."""
        return "$count" in self.record["odata_options"]

    def takes(self, option: str) -> bool:
        return option in self.record["odata_options"]

    def function_parameters(self) -> list[registry.ParameterRecord]:
        """The path parameters (function parameters and keys), in document order."""
        return [p for p in self.record["parameters"] if p["location"] == "path"]

    def arguments(self, given: Mapping[str, Any], *, time_zone: str) -> dict[str, Any]:
        """Every path parameter's value: the caller's, else the web client's default; period ones left out.

        Raises :class:`ExportError` naming an unknown argument or a required parameter without a default.
        """
        params = self.function_parameters()
        names = {str(p["python_name"]) for p in params}
        unknown = sorted(set(given) - names)
        if unknown:
            raise ExportError(
                f"{self.operation_id} has no parameter {', '.join(unknown)}; it takes {', '.join(sorted(names))}"
            )
        out: dict[str, Any] = {}
        period = set(self.period or ())
        for param in params:
            python = str(param["python_name"])
            if python in period:
                continue
            if python in given:
                out[python] = given[python]
                continue
            found, value = default_for(param, time_zone=time_zone)
            if not found:
                raise ExportError(
                    f"{self.operation_id}: --{python.replace('_', '-')} ({param['name']}) is required and has no "
                    "default; pass it"
                )
            out[python] = value
        return out


def default_for(param: registry.ParameterRecord, *, time_zone: str = "UTC") -> tuple[bool, Any]:
    """``(True, value)``: what the 3CX web client sends for ``param`` when nothing is given; else ``(False, None)``.

    Integers (types, filters, areas) ``0``; booleans ``true`` for ``hide*`` flags (``hidePcalls``), else the
    document's default, else ``false``; .NET TimeSpan strings (``callTimeFilterFrom``, ``waitInterval``) the
    zero span ``'0:00:0'``; ``clientTimeZone`` the export's time zone; other nullable strings (filters, lists of
    numbers) ``''``. Date-times, keys and non-nullable strings (a group or extension number) have none.
    """
    name = str(param["name"])
    literal = param.get("literal")
    if param.get("kind") != "function":
        return False, None
    if literal == "int":
        return True, 0
    if literal == "bool":
        if name.startswith("hide"):
            return True, True
        return True, bool(param.get("default", False))
    if literal == "string" and param.get("nullable"):
        if _TIME_SPAN.search(name):
            return True, _ZERO_SPAN
        if name == "clientTimeZone":
            return True, time_zone
        return True, ""
    return False, None


def _period(record: registry.OperationRecord) -> tuple[str, str] | None:
    by_name = {p["name"]: p for p in record["parameters"] if p["location"] == "path"}
    for start, end in PERIOD_PAIRS:
        first, last = by_name.get(start), by_name.get(end)
        if first and last and first.get("literal") == "datetime" and last.get("literal") == "datetime":
            return str(first["python_name"]), str(last["python_name"])
    return None


def _kebab(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def _lookup(name: str) -> registry.OperationRecord:
    """By operation id (``GetCallLogData``), ``resource.method`` or ``resource method`` (snake or kebab case)."""
    try:
        return registry.operation(name)
    except KeyError:
        pass
    resource, sep, method = name.replace(" ", ".").rpartition(".")
    if sep:
        for record in registry.operations():
            if _kebab(str(record["module"]).split(".")[2]) == _kebab(resource) and _kebab(record["function"]) == _kebab(
                method
            ):
                return record
    raise ExportError(f"no operation {name!r}: name it by operation id (GetCallLogData) or resource.method")


def find_operation(name: str) -> ExportOperation:
    """The paged operation ``name``; :class:`ExportError` when there is none or it cannot be paged."""
    record = _lookup(name)
    options = record["odata_options"]
    if "$top" not in options or "$skip" not in options:
        raise ExportError(f"{record['operation_id']} is not paged (it takes no $top/$skip): there is nothing to export")
    response = record["response"]
    if not response.get("collection_item"):
        raise ExportError(f"{record['operation_id']} does not answer a collection: there is nothing to export")
    if response.get("file"):
        raise ExportError(
            f"{record['operation_id']} answers a file (CSV), not rows; export its JSON twin "
            "(GetCallLogData for DownloadCallLog)"
        )
    return ExportOperation(record, _period(record))
