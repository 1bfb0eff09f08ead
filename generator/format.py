"""Stage 4: format the generated package with ruff, with settings pinned here rather than found on disk.

ruff looks for a pyproject.toml above the files it formats; generating into a temporary folder would then
format differently from generating in place. ``--isolated`` and explicit settings make the bytes depend
only on the code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["FormatError", "format_package"]

SETTINGS = ["--isolated", "--no-cache", "--line-length", "120", "--target-version", "py310"]


class FormatError(Exception):
    """ruff failed on the generated code (a template produced invalid Python)."""


def _ruff(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FormatError(f"ruff {args[0]} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")


def format_package(package_dir: Path) -> None:
    """Sort imports, drop unused ones, then format."""
    _ruff("check", *SETTINGS, "--fix-only", "--select", "I,F401,F541,UP", "--quiet", str(package_dir))
    _ruff("format", *SETTINGS, str(package_dir))
