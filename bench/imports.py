"""Cold import: what a fresh interpreter pays to import one endpoint module, against a bare ``import httpx``.

Method: each sample is a fresh ``python -I -c`` process that reads ``time.perf_counter()`` immediately
before and after the single ``import`` statement and prints the difference. That leaves out interpreter
start-up and ``site`` (identical for every target, and noisy), so the ratio compares imports alone.
``-I`` keeps PYTHONPATH, the user site and the working directory out of ``sys.path``; the package is found
through the venv's editable install, as a user's would be. Targets are interleaved, rotating their order
every round, and one untimed warm-up per target first writes any missing bytecode, so no sample pays for
compiling.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass

from .report import Goal, Row, Section
from .timing import PYTHON, median, progress, subprocess_env

__all__ = ["BASELINE", "ENDPOINT", "measure_imports"]

BASELINE = "httpx"
ENDPOINT = "threecx_xapi_client.api.users.export_extensions"
OTHERS = ("threecx_xapi_client", "threecx_xapi")
GOAL_RATIO = 1.5
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

SCRIPT = """\
import sys, time
if {module!r} in sys.modules:
    raise SystemExit({module!r} + " is already imported at start-up")
before = len(sys.modules)
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
print(elapsed, len(sys.modules) - before)
"""


class ImportFailed(Exception):
    """The target does not import in a fresh interpreter."""


@dataclass(frozen=True)
class Sample:
    seconds: float
    modules: int  # how many modules the import pulled into sys.modules: explains a slow import at a glance


def import_once(module: str) -> Sample:
    """Import ``module`` in a fresh isolated interpreter and return its own perf_counter measurement."""
    if not MODULE_NAME.match(module):
        raise ValueError(f"not a module name: {module!r}")
    result = subprocess.run(
        [PYTHON, "-I", "-c", SCRIPT.format(module=module)],
        cwd=tempfile.gettempdir(),
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise ImportFailed(lines[-1] if lines else f"exit {result.returncode}")
    seconds, modules = result.stdout.split()
    return Sample(float(seconds), int(modules))


def _importable(targets: list[str], section: Section) -> list[str]:
    """Warm up every target once (untimed); keep those that import, noting those that do not."""
    kept: list[str] = []
    for module in targets:
        try:
            import_once(module)
        except ImportFailed as exc:
            section.notes.append(f"import {module}: not importable ({exc})")
            continue
        kept.append(module)
    return kept


def measure_imports(runs: int) -> Section:
    """Time ``runs`` interleaved cold imports of every target; ratios are medians against ``import httpx``."""
    section = Section("cold import", "perf_counter around the import statement in a fresh `python -I -c`, median")
    targets = _importable([BASELINE, ENDPOINT, *OTHERS], section)
    if BASELINE not in targets or ENDPOINT not in targets:
        section.goals.append(Goal(f"import endpoint/{BASELINE}", None, f"< {GOAL_RATIO}", None, reason="no import"))
        return section
    samples: dict[str, list[Sample]] = {module: [] for module in targets}
    for i in range(runs):
        progress(f"imports round {i + 1}/{runs}")
        shift = i % len(targets)
        for module in targets[shift:] + targets[:shift]:
            samples[module].append(import_once(module))
    base = median([s.seconds for s in samples[BASELINE]])
    for module in targets:
        seconds = [s.seconds for s in samples[module]]
        ratio = median(seconds) / base
        section.rows.append(Row(f"import {module}", seconds, ratio, f"{samples[module][0].modules} modules"))
    endpoint = median([s.seconds for s in samples[ENDPOINT]]) / base
    section.goals.append(Goal(f"import endpoint/{BASELINE}", endpoint, f"< {GOAL_RATIO}", endpoint < GOAL_RATIO))
    return section
