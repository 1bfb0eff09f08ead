"""No-op regeneration: ``python -m generator generate`` into the default ``generated/`` when nothing changed.

This is what ``make generate`` costs on every invocation that has nothing to do, so it must stay cheap
(hashing the document, our code and the output against the lock, without importing openapi-python-client).
A first, untimed run makes sure the tree is up to date; it regenerates only when the committed tree or
lock is stale, which the report says, since then the committed lock does not match the committed code.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .report import Goal, Row, Section
from .timing import PYTHON, REPO, Run, median, progress, run_timed

__all__ = ["measure_noop"]

UP_TO_DATE = "up to date"
SELF_TIMED = re.compile(r"up to date: .*\(([\d.]+) s\)")
GOAL_SECONDS = 1.0


def _spec_argument(document: Path) -> str:
    """The document as the Makefile passes it (relative to the repo), so a regeneration locks the same source."""
    try:
        return os.path.relpath(document, REPO)
    except ValueError:  # another drive (Windows): the absolute path is as good
        return str(document)


def _regenerate(document: Path) -> Run:
    return run_timed([PYTHON, "-m", "generator", "generate", "--spec", _spec_argument(document)], cwd=REPO)


def _first_line(run: Run) -> str:
    lines = run.output.strip().splitlines()
    return lines[0] if lines else f"(no output, exit {run.returncode})"


def _not_up_to_date(section: Section, run: Run) -> Section:
    section.notes.append(f"no-op: the generator did not report {UP_TO_DATE!r}: {_first_line(run)}")
    section.goals.append(Goal("no-op regeneration", None, f"< {GOAL_SECONDS:.0f} s", None, reason="not up to date"))
    return section


def measure_noop(document: Path, runs: int) -> Section:
    """Prime once (untimed), then time ``runs`` no-op invocations; every one must say it was up to date."""
    method = "wall time of `python -m generator generate --spec <doc>` (default OUT, lock checked), median"
    section = Section("no-op regeneration", method)
    if not document.is_file():
        section.method = "skipped"
        section.notes.append(f"skip: no-op: document not found at {document}")
        section.goals.append(Goal("no-op regeneration", None, f"< {GOAL_SECONDS:.0f} s", None, reason="no document"))
        return section
    progress("no-op: priming run")
    prime = _regenerate(document)
    if prime.returncode != 0:
        return _not_up_to_date(section, prime)
    if UP_TO_DATE not in prime.stdout:
        section.notes.append(
            f"the priming run regenerated generated/ ({prime.seconds:.1f} s): the committed lock did not match "
            "the committed code, document or tree (check `git status` for spec/xapi.lock.json or generated/)"
        )
    samples: list[float] = []
    inside: list[float] = []
    for i in range(runs):
        progress(f"no-op {i + 1}/{runs}")
        run = _regenerate(document)
        if run.returncode != 0 or UP_TO_DATE not in run.stdout:
            return _not_up_to_date(section, run)
        samples.append(run.seconds)
        match = SELF_TIMED.search(run.stdout)
        if match:
            inside.append(float(match.group(1)))
    note = f"generator's own timing: {median(inside):.2f} s" if inside else ""
    section.rows.append(Row("no-op: python -m generator generate", samples, None, note))
    value = median(samples)
    section.goals.append(Goal("no-op regeneration", value, f"< {GOAL_SECONDS:.0f} s", value < GOAL_SECONDS, unit=" s"))
    return section
