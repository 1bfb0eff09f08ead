"""Provisioning: plan a file of rows against an entity set of the PBX, then apply it, idempotently.

    from threecx_xapi import XAPI
    from threecx_xapi.provision import Provisioner, read_rows

    pbx = XAPI("https://pbx.example.com:5001", client_id="...", client_secret="...")
    users = Provisioner(pbx, "users")                 # key="Number"; key="EmailAddress" matches by e-mail
    plan = users.plan(read_rows("users.csv"))         # reads only: create / update / unchanged / conflict
    print(plan)                                       # per row, exactly the fields that change, old -> new
    report = users.apply(read_rows("users.csv"))      # plans again against the live PBX, then writes
    report.write("result.csv")                        # row, key, action, status, error, hint

Any entity set with list, create, update and delete operations can be provisioned (``provisionable_sets()``);
nothing here is written per type. Columns are the PBX's field names or the SDK's snake_case names; sets whose
``Groups`` are memberships (users) also take ``group``, ``groups`` and ``role`` columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from .._client import XAPI
from ._apply import DEFAULT_CONCURRENCY, REPORT_COLUMNS, ApplyReport, RowResult, apply_plan
from ._errors import ProvisionError
from ._kind import EntityKind, entity_kind, provisionable_sets
from ._membership import ROLES
from ._plan import ACTIONS, Action, Change, Plan, PlanEntry, make_plan
from ._rows import FILE_FORMATS, Row, parse_rows, read_rows, rows_from

__all__ = [
    "ACTIONS",
    "DEFAULT_CONCURRENCY",
    "FILE_FORMATS",
    "REPORT_COLUMNS",
    "ROLES",
    "Action",
    "ApplyReport",
    "Change",
    "Plan",
    "PlanEntry",
    "ProvisionError",
    "Provisioner",
    "Row",
    "RowResult",
    "parse_rows",
    "provisionable_sets",
    "read_rows",
    "rows_from",
]

Rows = Iterable[Mapping[str, object] | Row]


class Provisioner:
    """Plans and applies rows against one entity set of ``pbx`` (an ``XAPI``), matching rows by ``key``.

    ``entity_set`` is a set's name as the document has it or as the SDK spells its resource (``Users``,
    ``users``, ``ring_groups``); ``key`` a field by either name (``Number``, ``EmailAddress``, ``email_address``).
    """

    def __init__(self, pbx: XAPI, entity_set: str, *, key: str = "Number") -> None:
        if not isinstance(pbx, XAPI):
            raise ProvisionError(f"Provisioner needs an XAPI client (it applies on threads), not {type(pbx).__name__}")
        self._pbx = pbx
        self.kind: EntityKind = entity_kind(entity_set)
        self.key = key

    def __repr__(self) -> str:
        return f"Provisioner({self.kind.name!r}, key={self.key!r})"

    def plan(self, rows: Rows, *, prune: bool = False) -> Plan:
        """What each row would do, against the PBX as it is now; nothing is written.

        With ``prune``, entities of the set that no row names are planned for deletion (after everything else).
        Bad input (an unknown column or key, a malformed row) raises :class:`ProvisionError` before any request.
        """
        return make_plan(self._pbx, self.kind, rows, key=self.key, prune=prune)

    def apply(
        self,
        rows_or_plan: Rows | Plan,
        *,
        prune: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        stop_on_error: bool = False,
        on_result: Callable[[RowResult], None] | None = None,
    ) -> ApplyReport:
        """Apply rows (planned first, against the PBX as it is now) or a plan made earlier; the per-row report.

        Rows that fail do not stop the others unless ``stop_on_error``. Applying the same rows again changes
        nothing; after a partial apply it completes the rest. ``on_result`` is called with each row's result
        as it completes (from the worker threads: for progress, not for ordering).
        """
        if isinstance(rows_or_plan, Plan):
            if prune and not rows_or_plan.of("delete"):
                raise ProvisionError("prune= is planned: pass prune=True to plan(), or give rows here")
            plan = rows_or_plan
        else:
            plan = self.plan(rows_or_plan, prune=prune)
        return apply_plan(
            self._pbx, self.kind, plan, concurrency=concurrency, stop_on_error=stop_on_error, on_result=on_result
        )
