"""Command line: ``python -m generator generate|check|fetch|diff|regenerate``; the Makefile targets call these."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .fetch import DocumentError
from .fetch import main as fetch_main
from .format import FormatError
from .normalise import NormaliseError
from .output import PACKAGE, GenerationError
from .pipeline import ROOT, compare_trees, generate

DEFAULT_OUT = ROOT / "generated"


def _generate(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    generate(args.spec, out, write_lock=out == DEFAULT_OUT, force=args.force)
    return 0


def _check(args: argparse.Namespace) -> int:
    """Regenerate into a temporary folder and compare with the committed package, byte for byte."""
    committed = Path(args.against).resolve() / PACKAGE
    with tempfile.TemporaryDirectory(prefix="threecx-check-") as scratch:
        generate(args.spec, Path(scratch), write_lock=False, log=lambda _line: None)
        differ = compare_trees(committed, Path(scratch) / PACKAGE)
    if differ:
        print(f"generated/ is out of date: {len(differ)} files differ from a fresh run on {args.spec}", file=sys.stderr)
        for line in differ[:40]:
            print("  " + line, file=sys.stderr)
        print("run `make generate` and commit the result", file=sys.stderr)
        return 1
    print(f"generated/ matches a fresh run on {args.spec}")
    return 0


def _delegate(command: str, argv: list[str]) -> int:
    """Run ``diff`` or ``regenerate`` with its own argument parser, importing it only now."""
    import importlib

    module = importlib.import_module(f".{command}", __package__)
    parser = argparse.ArgumentParser(prog=f"python -m generator {command}")
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(argv)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="generate the client package from a document")
    gen.add_argument("--spec", required=True, help="a file, or a PBX URL (credentials from XAPI_CLIENT_ID/SECRET)")
    gen.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: generated/, which also locks)")
    gen.add_argument("--force", action="store_true", help="regenerate even when nothing changed")
    gen.set_defaults(run=_generate)
    check = commands.add_parser("check", help="fail if the committed package differs from a fresh run")
    check.add_argument("--spec", required=True)
    check.add_argument("--against", default=str(DEFAULT_OUT))
    check.set_defaults(run=_check)
    fetch = commands.add_parser("fetch", help="fetch and validate a document, write it to a file")
    fetch.add_argument("rest", nargs=argparse.REMAINDER)
    fetch.set_defaults(run=lambda a: fetch_main(a.rest))
    # Listed here; run by _delegate with their own parsers (see main).
    commands.add_parser("diff", help="what changed between two documents, for code using the SDK", add_help=False)
    commands.add_parser("regenerate", help="diff against the locked document, regenerate, re-lock", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    try:
        if given[:1] in (["diff"], ["regenerate"]):
            # They read openapi-python-client's naming (about 1 s to import): loaded only when asked for, so
            # `generate` stays a quick no-op when nothing changed.
            return _delegate(given[0], given[1:])
        args = _parser().parse_args(given)
        return int(args.run(args))
    except (DocumentError, NormaliseError, GenerationError, FormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
