"""``python -m bench`` (``make bench``): generation, no-op and import benchmarks, as medians and ratios.

Every baseline is measured in the same run as what it is compared with, on the same machine and load,
because absolute timings on a shared 2-core box mean little while their ratios hold. Nothing is written
into the repository: the report is printed only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .generation import DEFAULT_DOCUMENT, BenchError, measure_generation
from .imports import measure_imports
from .noop import measure_noop
from .report import Section, render

BENCHMARKS = ("generation", "noop", "import")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true", help="1 generation run each, fewer no-op and import runs")
    parser.add_argument("--spec", type=Path, default=DEFAULT_DOCUMENT, help=f"document (default {DEFAULT_DOCUMENT})")
    return parser.parse_args(argv)


def _run(name: str, document: Path, quick: bool) -> Section:
    """One benchmark by name. The cheap ones run first, so the heavy generation does not heat what they time."""
    if name == "noop":
        return measure_noop(document, runs=3 if quick else 5)
    if name == "import":
        return measure_imports(runs=5 if quick else 15)
    return measure_generation(document, runs=1 if quick else 3)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    chosen = args.only or list(BENCHMARKS)
    order = [name for name in ("noop", "import", "generation") if name in chosen]
    try:
        sections = [_run(name, args.spec.resolve(), args.quick) for name in order]
    except BenchError as exc:
        print(f"error: {exc}")
        return 1
    print(render(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
