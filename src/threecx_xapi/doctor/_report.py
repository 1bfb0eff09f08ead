"""What ``pbx.doctor()`` found: one :class:`Check` per question, in order, and the :class:`DoctorReport`.

A check never raises: whatever went wrong is its ``status`` (``ok``, ``warn``, ``fail`` or ``skip``), a one-line
``summary`` of what was seen and a one-line ``fix``. A check that depends on one that failed is ``skip`` and says
why. ``to_dict()`` is the stable shape the command line prints with ``--format json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["FAIL", "OK", "SKIP", "STATUSES", "WARN", "Check", "DoctorReport", "Status"]

Status = Literal["ok", "warn", "fail", "skip"]
OK: Status = "ok"
WARN: Status = "warn"
FAIL: Status = "fail"
SKIP: Status = "skip"
STATUSES: tuple[Status, ...] = (OK, WARN, FAIL, SKIP)


@dataclass(frozen=True)
class Check:
    """One question answered: ``name`` (``connect``, ``token``, ``access.recordings`` ...), its status and fix.

    ``details`` holds machine-readable facts (``status_code``, ``operation``, ``allowed``, ``skew_seconds``
    ...); never a secret.
    """

    name: str
    status: Status
    summary: str
    fix: str | None = None
    seconds: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Not a failure (``ok``, ``warn`` and ``skip`` all pass)."""
        return self.status != FAIL

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "fix": self.fix,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class DoctorReport:
    """Every check of one ``doctor()`` run against ``url`` as ``client_id``; ``ok`` when none failed."""

    url: str
    client_id: str | None
    package_version: str
    xapi_version: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.status == FAIL]

    @property
    def warnings(self) -> list[Check]:
        return [check for check in self.checks if check.status == WARN]

    def __getitem__(self, name: str) -> Check:
        """The check called ``name``: ``report["token"]``, ``report["access.recordings"]``."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check {name!r}; the checks are {', '.join(c.name for c in self.checks)}")

    @property
    def capabilities(self) -> dict[str, bool | None]:
        """Area -> allowed (True), denied (False) or unknown (None: not probed, or another failure)."""
        return {
            str(check.details["area"]): check.details.get("allowed") for check in self.checks if "area" in check.details
        }

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status."""
        return {status: sum(check.status == status for check in self.checks) for status in STATUSES}

    def summary(self) -> str:
        """One line: ``2 failed, 1 warning, 14 ok, 0 skipped``."""
        counts = self.counts()
        warnings = counts[WARN]
        return (
            f"{counts[FAIL]} failed, {warnings} warning{'' if warnings == 1 else 's'}, "
            f"{counts[OK]} ok, {counts[SKIP]} skipped"
        )

    def to_dict(self) -> dict[str, Any]:
        """The stable machine-readable shape (``--format json``)."""
        return {
            "ok": self.ok,
            "url": self.url,
            "client_id": self.client_id,
            "package_version": self.package_version,
            "xapi_version": self.xapi_version,
            "counts": self.counts(),
            "checks": [check.to_dict() for check in self.checks],
        }

    def __str__(self) -> str:
        lines = [f"doctor for {self.url} ({self.client_id or 'token auth'}): {self.summary()}"]
        lines += _lines(self.checks)
        return "\n".join(lines)


def _lines(checks: Iterable[Check]) -> list[str]:
    out = []
    for check in checks:
        out.append(f"  {check.status.upper():4}  {check.name}: {check.summary}")
        if check.fix:
            out.append(f"        fix: {check.fix}")
    return out
