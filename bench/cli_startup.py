"""Command-line start-up: ``threecx-xapi users get-user --help`` against a bare ``python -c "import httpx"``.

Both are whole processes, timed from outside (interpreter start-up included, as a user at a shell pays it),
interleaved with their order rotated every round, after one untimed warm-up each that writes any missing
bytecode. The command line builds its commands from the registry lazily, so the help of one operation
must not cost the other 600: the goal is a ratio of at most 2.
"""

from __future__ import annotations

import shutil

from .report import Goal, Row, Section
from .timing import PYTHON, REPO, VENV_BIN, median, progress, run_timed

__all__ = ["measure_cli_startup"]

GOAL_RATIO = 2.0
BASELINE = [PYTHON, "-c", "import httpx"]
HELP_ARGS = ["users", "get-user", "--help"]


def _command() -> list[str]:
    """The console script as installed in the venv; ``python -m threecx_xapi`` when it is missing."""
    script = shutil.which("threecx-xapi", path=str(VENV_BIN))
    return [script, *HELP_ARGS] if script else [PYTHON, "-m", "threecx_xapi", *HELP_ARGS]


def measure_cli_startup(runs: int) -> Section:
    section = Section("command-line start-up", "wall time of whole processes, interleaved, median")
    targets = {"python -c 'import httpx'": BASELINE, "threecx-xapi users get-user --help": _command()}
    for label, argv in targets.items():
        warm = run_timed(argv, cwd=REPO)
        if warm.returncode != 0 or (argv is not BASELINE and "--id" not in warm.stdout):
            section.notes.append(f"{label}: did not run ({warm.output.strip()[-200:]})")
            section.goals.append(Goal("cli help/import httpx", None, f"<= {GOAL_RATIO}", None, reason="no run"))
            return section
    samples: dict[str, list[float]] = {label: [] for label in targets}
    labels = list(targets)
    for i in range(runs):
        progress(f"cli start-up round {i + 1}/{runs}")
        shift = i % len(labels)
        for label in labels[shift:] + labels[:shift]:
            samples[label].append(run_timed(targets[label], cwd=REPO).seconds)
    base = median(samples[labels[0]])
    for label in labels:
        section.rows.append(Row(label, samples[label], median(samples[label]) / base))
    ratio = median(samples[labels[1]]) / base
    section.goals.append(Goal("cli help/import httpx", ratio, f"<= {GOAL_RATIO}", ratio <= GOAL_RATIO))
    return section
