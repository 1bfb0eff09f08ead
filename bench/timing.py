"""Subprocess timing shared by every benchmark: each sample is a fresh process, timed from outside.

Timing whole processes (rather than calling the code in this interpreter) is deliberate: what users pay for
is a cold ``python -m generator`` or a fresh interpreter importing the client, and in-process repeats
would hide start-up, module caching and ruff subprocesses.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PYTHON", "REPO", "VENV_BIN", "Run", "median", "progress", "run_timed", "subprocess_env"]

REPO = Path(__file__).resolve().parent.parent
# `make bench` runs .venv/bin/python, so the console scripts (openapi-python-client, ruff) sit beside it.
PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    """One timed subprocess: wall and CPU seconds, and what it printed (to check it did the work we timed)."""

    seconds: float
    cpu_seconds: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def subprocess_env() -> dict[str, str]:
    """The current environment with the venv's bin first on PATH, so post-hooks find the pinned ruff."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(argv: Sequence[str], *, cwd: Path) -> Run:
    """Run ``argv`` to completion; time it with ``perf_counter`` around the whole process.

    CPU time (user + sys of the process and every child it waited for, such as ruff) comes along because
    other work on a shared 2-core machine stretches wall time but hardly CPU time: it tells load from cost.
    """
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(list(argv), cwd=cwd, env=subprocess_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    return Run(elapsed, _children_cpu() - cpu_before, result.returncode, result.stdout, result.stderr)


def median(samples: Sequence[float]) -> float:
    """Median, not mean: one run disturbed by another process on a 2-core machine should not move it."""
    return statistics.median(samples)


def progress(message: str) -> None:
    """Say what is running on stderr; generation takes minutes and a silent terminal looks hung."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
