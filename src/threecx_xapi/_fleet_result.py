"""What a fleet run returns: one outcome per PBX (its value or its error, its version, how long it took).

A ``FleetResult`` is a read-only mapping of PBX name to :class:`PBXOutcome`, iterated in name order so that
reports and diffs come out the same way every run. ``ok`` and ``failed`` split it into values and errors;
``raise_for_failures()`` turns any failure into one :class:`~threecx_xapi.FleetError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from ._exceptions import FleetError

__all__ = ["FleetResult", "PBXOutcome"]

T = TypeVar("T")


@dataclass(frozen=True)
class PBXOutcome(Generic[T]):
    """One PBX's part of a fleet run: ``value`` when ``error`` is None.

    ``version`` is the PBX's ``X-3CX-Version`` as last seen (None when it never answered), ``duration`` the
    seconds the function ran for this PBX.
    """

    pbx: str
    value: T | None
    error: Exception | None
    version: str | None
    duration: float

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> T:
        """The value, or the error raised."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # None only when the function returned None

    def __repr__(self) -> str:
        what = f"value={self.value!r}" if self.error is None else f"error={type(self.error).__name__}({self.error})"
        return f"PBXOutcome({self.pbx!r}, {what}, version={self.version!r}, duration={self.duration:.3f})"


class FleetResult(Mapping[str, PBXOutcome[T]]):
    """PBX name -> :class:`PBXOutcome`, in name order."""

    def __init__(self, outcomes: Iterable[PBXOutcome[T]]) -> None:
        self._outcomes = {outcome.pbx: outcome for outcome in sorted(outcomes, key=lambda o: o.pbx)}

    def __getitem__(self, pbx: str) -> PBXOutcome[T]:
        return self._outcomes[pbx]

    def __iter__(self) -> Iterator[str]:
        return iter(self._outcomes)

    def __len__(self) -> int:
        return len(self._outcomes)

    @property
    def ok(self) -> dict[str, T]:
        """The values of the PBXs that succeeded, by name."""
        return {name: o.value for name, o in self._outcomes.items() if o.error is None}  # type: ignore[misc]

    @property
    def failed(self) -> dict[str, Exception]:
        """The errors of the PBXs that failed, by name."""
        return {name: o.error for name, o in self._outcomes.items() if o.error is not None}

    @property
    def versions(self) -> dict[str, str | None]:
        """Each PBX's ``X-3CX-Version`` (None for one that never answered)."""
        return {name: o.version for name, o in self._outcomes.items()}

    def raise_for_failures(self) -> None:
        """Raise a ``FleetError`` naming every failed PBX and its error, if any failed."""
        failed = self.failed
        if failed:
            raise FleetError(failed, len(self._outcomes))

    def __repr__(self) -> str:
        failed = self.failed
        names = f": {', '.join(failed)}" if failed else ""
        return f"FleetResult({len(self)} PBXs, {len(self) - len(failed)} ok, {len(failed)} failed{names})"
