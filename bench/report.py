"""Results and their rendering: one table per benchmark, then a ``ratios:`` block with one line per goal.

Each benchmark returns a ``Section`` rather than printing as it goes, so that the tables line up and the
summary can be printed last, where a reader (or a log grep) looks first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .timing import median

__all__ = ["Goal", "Row", "Section", "render"]

HEADERS = ("measurement", "runs", "median", "min", "max", "ratio", "note")


@dataclass(frozen=True)
class Row:
    """One measured thing: its samples in seconds and, when it has a baseline, its ratio to that baseline."""

    label: str
    samples: Sequence[float]
    ratio: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Goal:
    """A target from the brief: ``value`` is None when the benchmark could not produce a number.

    A ``goal`` of ``""`` makes the line a reference figure (printed beside the goals, judged by none).
    """

    name: str
    value: float | None
    goal: str
    met: bool | None
    unit: str = ""
    reason: str = ""

    def line(self) -> str:
        if not self.goal:
            shown = f"n/a ({self.reason})" if self.value is None else f"{self.value:.2f}{self.unit}"
            return f"{self.name}: {shown} (reference, no goal)"
        if self.value is None:
            return f"{self.name}: n/a ({self.reason}) (goal {self.goal})"
        verdict = "ok" if self.met else "MISSED"
        return f"{self.name}: {self.value:.2f}{self.unit} (goal {self.goal}) {verdict}"


@dataclass
class Section:
    """A benchmark's outcome: its title, method, rows, goals and anything odd worth reading."""

    title: str
    method: str
    rows: list[Row] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _duration(seconds: float) -> str:
    """Microseconds below a millisecond (calls), milliseconds below a second (imports, parsing), seconds above."""
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _cells(row: Row) -> tuple[str, ...]:
    if not row.samples:
        return (row.label, "0", "-", "-", "-", "-", row.note)
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
    return (
        row.label,
        str(len(row.samples)),
        _duration(median(row.samples)),
        _duration(min(row.samples)),
        _duration(max(row.samples)),
        ratio,
        row.note,
    )


def _table(rows: Sequence[Row]) -> list[str]:
    cells = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    numeric = {1, 2, 3, 4, 5}

    def fmt(line: tuple[str, ...]) -> str:
        parts = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        return "  ".join(parts).rstrip()

    return [fmt(cells[0]), "  ".join("-" * w for w in widths), *(fmt(line) for line in cells[1:])]


def render(sections: Sequence[Section]) -> str:
    """The whole report as text: every section's table and notes, then the ``ratios:`` summary."""
    out: list[str] = []
    for section in sections:
        out += [f"== {section.title}", f"method: {section.method}"]
        if section.rows:
            out += _table(section.rows)
        out += [f"note: {note}" for note in section.notes]
        out.append("")
    out.append("ratios:")
    out += [f"  {goal.line()}" for section in sections for goal in section.goals]
    return "\n".join(out)
