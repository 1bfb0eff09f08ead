"""Full generation: our pipeline against a stock openapi-python-client run on the same document.

Both run as fresh subprocesses into fresh temporary folders, so ours is always a full run (a temporary
``--out`` never consults the lock) and neither reuses the other's output. The order alternates between
repeats so that neither side always gets the warmer file cache. The stock run keeps its default ruff
post-hooks, because formatting is part of what our pipeline does too.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .report import Goal, Row, Section
from .timing import PYTHON, REPO, VENV_BIN, Run, median, progress, run_timed

__all__ = ["DEFAULT_DOCUMENT", "measure_generation"]

DEFAULT_DOCUMENT = REPO.parent / "shared" / "spec" / "xapi-20.0.10.yaml"
OURS_DONE = re.compile(r"operations: (\d+)/(\d+) generated")
STOCK_SKIPPED = "Endpoint will not be generated"


class BenchError(Exception):
    """A timed run did not do the work being timed (failed, or ours hit the no-op path)."""


@dataclass(frozen=True)
class Sample:
    seconds: float
    cpu_seconds: float
    endpoints: int
    skipped: int = 0


def _endpoint_modules(package_dir: Path) -> int:
    """Count generated operation modules: the stock tool skips some operations, which makes it cheaper."""
    api = package_dir / "api"
    return sum(1 for p in api.rglob("*.py") if p.name != "__init__.py") if api.is_dir() else 0


def _check(run: Run, who: str) -> None:
    if run.returncode != 0:
        raise BenchError(f"{who} generation exited {run.returncode}:\n{run.output[-2000:]}")


def run_ours(document: Path) -> Sample:
    """``python -m generator generate`` into a temporary OUT: a full run, never the locked no-op."""
    with tempfile.TemporaryDirectory(prefix="bench-ours-") as scratch:
        out = Path(scratch) / "out"
        run = run_timed([PYTHON, "-m", "generator", "generate", "--spec", str(document), "--out", str(out)], cwd=REPO)
        _check(run, "our")
        if "up to date" in run.stdout or not OURS_DONE.search(run.stdout):
            raise BenchError(f"our generation did not report a full run:\n{run.output[-2000:]}")
        return Sample(run.seconds, run.cpu_seconds, _endpoint_modules(out / "threecx_xapi_client"))


def run_stock(document: Path) -> Sample:
    """Stock ``openapi-python-client generate`` with its default ruff post-hooks and no project metadata."""
    with tempfile.TemporaryDirectory(prefix="bench-stock-") as scratch:
        out = Path(scratch) / "client"
        argv = [str(VENV_BIN / "openapi-python-client"), "generate", "--path", str(document)]
        argv += ["--output-path", str(out), "--meta", "none", "--overwrite"]
        run = run_timed(argv, cwd=Path(scratch))
        _check(run, "stock")
        return Sample(run.seconds, run.cpu_seconds, _endpoint_modules(out), run.output.count(STOCK_SKIPPED))


def _skipped(document: Path) -> Section:
    section = Section("full generation", "skipped")
    section.notes.append(f"skip: generation: document not found at {document}")
    section.goals.append(Goal("generation ours/stock", None, "<= 1.0", None, reason="no document"))
    return section


def _cpu_note(ours: list[Sample], stock: list[Sample]) -> str:
    """CPU medians beside the wall-time goal: if the two ratios disagree, the machine was busy."""
    mine, theirs = median([s.cpu_seconds for s in ours]), median([s.cpu_seconds for s in stock])
    ratio = mine / theirs
    return f"CPU time (user+sys, ruff included), median: stock {theirs:.2f} s, ours {mine:.2f} s, ratio {ratio:.2f}"


def measure_generation(document: Path, runs: int) -> Section:
    """Time ``runs`` full generations each way, alternating which side goes first."""
    if not document.is_file():
        return _skipped(document)
    ours: list[Sample] = []
    stock: list[Sample] = []
    for i in range(runs):
        order = [("ours", run_ours, ours), ("stock", run_stock, stock)]
        for who, runner, samples in order if i % 2 == 0 else reversed(order):
            progress(f"generation {i + 1}/{runs}: {who}")
            samples.append(runner(document))
    ratio = median([s.seconds for s in ours]) / median([s.seconds for s in stock])
    section = Section(
        "full generation",
        f"wall time of each subprocess into a fresh temp dir ({document.name}), order alternated, median",
        rows=[
            Row("stock openapi-python-client", [s.seconds for s in stock], 1.0, f"{stock[0].endpoints} endpoints"),
            Row("ours: python -m generator", [s.seconds for s in ours], ratio, f"{ours[0].endpoints} endpoints"),
        ],
    )
    section.notes.append(_cpu_note(ours, stock))
    if stock[0].skipped:
        section.notes.append(
            f"stock skipped {stock[0].skipped} operations ({STOCK_SKIPPED!r}), so it renders and formats "
            "less code than ours: the ratio favours stock"
        )
    section.goals.append(Goal("generation ours/stock", ratio, "<= 1.0", ratio <= 1.0))
    return section
