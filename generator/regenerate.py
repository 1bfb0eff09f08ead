"""Upgrade to a new XAPI document in one step: diff against the locked document, regenerate, re-lock.

The lock (``spec/xapi.lock.json``) records where the last generated document came from and its sha256. When
that file is still there with the same bytes, the user sees what the upgrade changes (and the suggested version
bump) before ``generated/`` is replaced; when it is not, they are told why no diff was possible and the
regeneration goes ahead anyway: the diff is information, not a gate.

Usage: ``python -m generator regenerate --spec SPEC [--out DIR] [--markdown-dir DIR]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diff import CHANGES_DIR, UpgradeReport, report
from .fetch import DocumentError, FetchedDocument, load
from .pipeline import LOCK, ROOT, generate, read_lock

__all__ = ["DEFAULT_OUT", "OldDocument", "add_arguments", "find_old", "lock_line", "regenerate", "run"]

DEFAULT_OUT = ROOT / "generated"


@dataclass(frozen=True)
class OldDocument:
    """The locked document when it can be used for a diff; otherwise ``document`` is None and ``reason`` says why."""

    document: FetchedDocument | None
    reason: str


def _candidates(source: str, root: Path, cwd: Path) -> list[Path]:
    """A relative lock source was written relative to where ``make`` ran: the repository root, or the cwd."""
    path = Path(source)
    if path.is_absolute():
        return [path]
    return list(dict.fromkeys(Path(os.path.normpath(base / path)) for base in (root, cwd)))


def find_old(lock: Mapping[str, Any] | None, *, root: Path = ROOT, cwd: Path | None = None) -> OldDocument:
    """The document the current ``generated/`` was made from, if its file still exists with the locked bytes."""
    if lock is None:
        return OldDocument(None, f"no readable lock at {_shown(LOCK, root)}")
    source, sha256 = lock.get("source"), lock.get("sha256")
    if not isinstance(source, str) or not source:
        return OldDocument(None, "the lock records no source document")
    if not isinstance(sha256, str) or not sha256:
        return OldDocument(None, f"the lock records no sha256 for {source}")
    if source.strip().lower().startswith(("http://", "https://")):
        return OldDocument(None, f"the locked document came from a PBX ({source}), which now serves its current one")
    existing = [path for path in _candidates(source, root, cwd or Path.cwd()) if path.is_file()]
    if not existing:
        return OldDocument(None, f"the locked document {source} no longer exists")
    mismatched = ""
    for path in existing:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            mismatched = f"the locked document {source} cannot be read: {exc.strerror or exc}"
            continue
        actual = hashlib.sha256(raw).hexdigest()
        if actual != sha256:
            mismatched = (
                f"the locked document {source} has changed since it was locked"
                f" (sha256 {actual[:12]}, locked {sha256[:12]})"
            )
            continue
        try:
            return OldDocument(load(str(path)), f"locked document {source}")
        except DocumentError as exc:
            mismatched = f"the locked document cannot be used: {exc}"
    return OldDocument(None, mismatched)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def lock_line(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """``lock: <sha> (<version>) -> <sha> (<version>)``, the last line of a regeneration."""

    def side(lock: Mapping[str, Any] | None) -> str:
        if lock is None:
            return "none"
        sha = str(lock.get("sha256") or "?")[:12]
        return f"{sha} ({lock.get('xapi_version') or 'version unknown'})"

    if after is None:
        return f"lock: {side(before)} (unchanged)"
    return f"lock: {side(before)} -> {side(after)}"


def regenerate(
    spec: str,
    *,
    out: Path = DEFAULT_OUT,
    markdown_dir: Path | None = CHANGES_DIR,
    log: Callable[[str], None] = print,
) -> UpgradeReport | None:
    """Diff ``spec`` against the locked document (when possible), regenerate ``out`` and, for generated/, re-lock."""
    new = load(spec)
    before = read_lock()
    old = find_old(before)
    result: UpgradeReport | None = None
    if old.document is None:
        log(f"no diff possible: {old.reason}")
    else:
        if old.document.sha256 == new.sha256:
            log(f"the new document is the locked one ({new.sha256[:12]}): nothing changed in the API")
        result = report(old.document, new, markdown_dir=markdown_dir, log=log)
    log("")
    write_lock = out.resolve() == DEFAULT_OUT.resolve()
    generate(spec, out, write_lock=write_lock, force=True, log=log)
    if write_lock:
        log(lock_line(before, read_lock()))
    else:
        log(f"lock not written: {out} is not {_shown(DEFAULT_OUT, ROOT)}/")
        log(lock_line(before, None))
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="a file, or a PBX URL (credentials from XAPI_CLIENT_ID/SECRET)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: generated/, which also locks)")
    parser.add_argument(
        "--markdown-dir", default=str(CHANGES_DIR), help="where the change report goes (default: spec/changes)"
    )


def run(args: argparse.Namespace) -> int:
    markdown_dir = Path(args.markdown_dir) if args.markdown_dir else None
    regenerate(args.spec, out=Path(args.out).resolve(), markdown_dir=markdown_dir)
    return 0
