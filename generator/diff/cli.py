"""``python -m generator diff``: load two documents, compare their SDK surfaces, print and write the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..fetch import DocumentError, FetchedDocument, load
from ..pipeline import ROOT, xapi_version
from .compare import UpgradeReport, compare
from .render import render_markdown, render_text, summary_line
from .surface import SpecDiffError, Surface, surface

__all__ = ["CHANGES_DIR", "add_arguments", "document_label", "main", "markdown_name", "report", "run"]

CHANGES_DIR = ROOT / "spec" / "changes"


def document_label(document: FetchedDocument) -> str:
    """The 3CX version (``x-3cx-version`` or the file name), else the first 12 hex digits of the sha256."""
    return xapi_version(document.source, document.data) or document.sha256[:12]


def markdown_name(old: FetchedDocument, new: FetchedDocument) -> str:
    """``<old>-to-<new>.md``; two documents of one version but different bytes are told apart by their hashes."""
    old_label, new_label = document_label(old), document_label(new)
    if old_label == new_label and old.sha256 != new.sha256:
        old_label, new_label = f"{old_label}-{old.sha256[:12]}", f"{new_label}-{new.sha256[:12]}"
    return f"{old_label}-to-{new_label}.md"


def _surface_of(document: FetchedDocument) -> Surface:
    try:
        return surface(document.data)
    except SpecDiffError as exc:
        raise SpecDiffError(f"{document.source}: {exc}") from None


def report(
    old: FetchedDocument,
    new: FetchedDocument,
    *,
    markdown_dir: Path | None = CHANGES_DIR,
    log: Callable[[str], None] = print,
) -> UpgradeReport:
    """Compare two loaded documents, print the report (summary line last) and write the Markdown file."""
    result = compare(_surface_of(old), _surface_of(new))
    old_label, new_label = document_label(old), document_label(new)
    headline, *body = render_text(result, old_label, new_label).split("\n")
    log(headline)
    for role, document in (("old", old), ("new", new)):
        log(f"  {role}: {document.source} (sha256 {document.sha256[:12]}, {document.operation_count} operations)")
    for line in body:
        log(line)
    if markdown_dir is not None:
        target = markdown_dir / markdown_name(old, new)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render_markdown(result, old_label, new_label), "utf-8")
        except OSError as exc:
            raise SpecDiffError(f"{target}: cannot write: {exc.strerror or exc}") from None
        log(f"written: {_relative(target)}")
    log(summary_line(result))
    return result


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--old", required=True, help="the earlier document (a file or a PBX URL)")
    parser.add_argument("--new", required=True, help="the later document (a file or a PBX URL)")
    parser.add_argument(
        "--markdown-dir",
        default=str(CHANGES_DIR),
        help="where <old>-to-<new>.md goes (default: spec/changes); empty to skip",
    )


def run(args: argparse.Namespace) -> int:
    markdown_dir = Path(args.markdown_dir) if args.markdown_dir else None
    report(load(args.old), load(args.new), markdown_dir=markdown_dir)
    return 0


def main(argv: list[str] | None = None) -> int:
    """CLI: ``--old FILE --new FILE [--markdown-dir DIR]``; ``error: ...`` and exit 2 on a bad input."""
    parser = argparse.ArgumentParser(prog="python -m generator diff", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(args)
    except DocumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
