"""``python -m bench`` (``make bench``): generation, no-op, import, command-line start-up, call, fleet and
parsing benchmarks, as ratios.

Every baseline is measured in the same run as what it is compared with, on the same machine and load,
because absolute timings on a shared 2-core box mean little while their ratios hold. Nothing is written
into the repository: the report is printed only.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from .cli_startup import measure_cli_startup
from .export import measure_export
from .facade import facade_import_goal, measure_calls, measure_facade_import
from .fleet import measure_fleet
from .generation import DEFAULT_DOCUMENT, BenchError, measure_generation
from .imports import measure_imports
from .noop import measure_noop
from .parsing import measure_parsing
from .provision import measure_provision
from .report import Section, render
from .snapshot import measure_snapshot


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true", help="1 generation run each, fewer runs and calls elsewhere")
    parser.add_argument("--spec", type=Path, default=DEFAULT_DOCUMENT, help=f"document (default {DEFAULT_DOCUMENT})")
    return parser.parse_args(argv)


# name -> how to run it: (document, quick) -> Section. The cheap ones first, so the heavy generation does not
# heat what they time.
_RUNNERS: dict[str, Callable[[Path, bool], Section]] = {
    "noop": lambda document, quick: measure_noop(document, runs=3 if quick else 5),
    "import": lambda document, quick: measure_imports(runs=5 if quick else 15),
    "import-facade": lambda document, quick: measure_facade_import(runs=5 if quick else 15),
    "cli": lambda document, quick: measure_cli_startup(runs=5 if quick else 15),
    "call": lambda document, quick: measure_calls(calls=500 if quick else 2000, rounds=5 if quick else 20),
    "fleet": lambda document, quick: measure_fleet(rounds=3 if quick else 7),
    "parse": lambda document, quick: measure_parsing(runs=3 if quick else 5),
    "export": lambda document, quick: measure_export(rounds=1 if quick else 2),
    "provision": lambda document, quick: measure_provision(rows=100 if quick else 200, runs=2 if quick else 5),
    "snapshot": lambda document, quick: measure_snapshot(rounds=3 if quick else 7),
    "generation": lambda document, quick: measure_generation(document, runs=1 if quick else 3),
}
BENCHMARKS = tuple(_RUNNERS)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    chosen = args.only or list(BENCHMARKS)
    order = [name for name in BENCHMARKS if name in chosen]
    if "import" in order and "import-facade" in order:
        order.remove("import-facade")  # the import benchmark measures the facade too: its row gives the goal
    try:
        sections = [_RUNNERS[name](args.spec.resolve(), args.quick) for name in order]
    except BenchError as exc:
        print(f"error: {exc}")
        return 1
    if "import-facade" in chosen and "import-facade" not in order:
        imports = sections[order.index("import")]
        imports.goals.append(facade_import_goal(imports))
    print(render(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
