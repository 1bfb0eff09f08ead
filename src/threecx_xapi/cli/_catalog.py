"""Command names from the generated registry: resources and operations in kebab case, never hand-listed.

A resource is the SDK's attribute on ``XAPI`` (the package of the operation's generated module, ``users``,
``report_call_log_data``) and an operation the SDK's method name (``get_user_by_number``); the command line
spells both in kebab case. Only the registry is read (no endpoint module is imported), once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from threecx_xapi import _registry as registry

__all__ = ["Entry", "kebab", "operations_of", "resources"]

Record = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """One operation as the command line sees it."""

    resource: str  # SDK attribute on XAPI: ``users``
    method: str  # SDK method name: ``get_user``
    record: Record  # the registry record

    @property
    def command(self) -> str:
        return kebab(self.method)


def kebab(name: str) -> str:
    """``report_call_log_data`` -> ``report-call-log-data``; a trailing ``_`` (``filter_``) is dropped."""
    return name.rstrip("_").replace("_", "-")


@cache
def _index() -> dict[str, dict[str, Entry]]:
    index: dict[str, dict[str, Entry]] = {}
    for record in registry.operations():
        resource = str(record["module"]).split(".")[2]
        entry = Entry(resource, str(record["function"]), dict(record))
        index.setdefault(kebab(resource), {})[entry.command] = entry
    return index


def resources() -> dict[str, dict[str, Entry]]:
    """Resource command -> operation command -> entry, sorted by name."""
    return {name: dict(sorted(ops.items())) for name, ops in sorted(_index().items())}


def operations_of(resource: str) -> dict[str, Entry] | None:
    """The operations of one resource command, or None when there is no such resource."""
    ops = _index().get(resource)
    return None if ops is None else dict(sorted(ops.items()))
