"""The generator, top to bottom: fetch -> normalise -> render -> format -> lock.

``generate`` builds the package in a temporary folder beside the output and swaps it in only when every
stage succeeded, so a failed run never leaves a half-written ``generated/``. A run whose inputs (document,
generator, templates, tool versions) and output are unchanged since the lock was written is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .fetch import FetchedDocument, load
from .format import format_package
from .normalise import normalise
from .output import PACKAGE, GenerationError, Rendered

__all__ = ["ROOT", "GenerateResult", "compare_trees", "fingerprint", "generate", "tree_digest"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
LOCK = ROOT / "spec" / "xapi.lock.json"
LOCK_VERSION = 1


@dataclass(frozen=True)
class GenerateResult:
    lines: list[str]
    up_to_date: bool


def _files(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def tree_digest(root: Path) -> str:
    """A hash over the relative names and bytes of every file below ``root``."""
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(document_sha256: str) -> str:
    """Everything the output depends on: the document, our code and templates, and the tools' versions."""
    digest = hashlib.sha256(document_sha256.encode())
    for folder in (ROOT / "generator", TEMPLATES):
        digest.update(tree_digest(folder).encode())
    for tool in ("openapi-python-client", "ruff", "pyyaml"):
        digest.update(f"{tool}=={version(tool)}".encode())
    return digest.hexdigest()


def xapi_version(source: str, data: dict[str, Any]) -> str | None:
    """The 3CX version, where known: ``x-3cx-version`` in the document, else the file name (``xapi-20.0.10``)."""
    info = data.get("info") or {}
    declared = info.get("x-3cx-version") if isinstance(info, dict) else None
    if isinstance(declared, str):
        return declared
    match = re.search(r"(\d+\.\d+\.\d+)", Path(source).name)
    return match.group(1) if match else None


def read_lock(path: Path = LOCK) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def generate(
    spec: str,
    out: Path,
    *,
    write_lock: bool,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> GenerateResult:
    """Generate ``out/threecx_xapi_client`` from the document at ``spec`` (a file or a PBX URL)."""
    started = time.perf_counter()
    package_dir = out / PACKAGE
    lock = read_lock() if write_lock and not force else None
    if lock is not None and _unchanged(spec, package_dir, lock):
        line = f"up to date: {out}/{PACKAGE} matches {LOCK.relative_to(ROOT)} ({time.perf_counter() - started:.2f} s)"
        log(line)
        return GenerateResult([line], up_to_date=True)

    from .render import render  # openapi-python-client (and pydantic) only when there is work to do

    timings: dict[str, float] = {}
    mark = time.perf_counter()
    document = load(spec)
    print_fp = fingerprint(document.sha256)
    timings["fetch"], mark = time.perf_counter() - mark, time.perf_counter()

    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        log(line)

    say(f"document: {document.source} (OpenAPI {document.openapi_version}, sha256 {document.sha256[:12]})")
    doc = document.data
    schema_count = len(doc.get("components", {}).get("schemas") or {})
    for rule, report in normalise(doc):
        say(rule.summary(report))
    timings["normalise"], mark = time.perf_counter() - mark, time.perf_counter()

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".generate-", dir=out) as scratch:
        staging = Path(scratch) / PACKAGE
        info = _document_info(document)
        rendered = render(doc, package_dir=staging, templates=TEMPLATES, document_info=info)
        if rendered.generated != rendered.operations:
            raise GenerationError(f"operations: {rendered.generated}/{rendered.operations} generated")
        timings["render"], mark = time.perf_counter() - mark, time.perf_counter()
        format_package(staging)
        timings["format"] = time.perf_counter() - mark
        if package_dir.exists():
            shutil.rmtree(package_dir)
        staging.rename(package_dir)

    say(f"models: {rendered.models}")
    say("stages: " + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in timings.items()))
    say(f"operations: {rendered.generated}/{rendered.operations} generated ({time.perf_counter() - started:.1f} s)")
    if write_lock:
        _write_lock(document, info, rendered, schema_count, print_fp, tree_digest(package_dir))
    return GenerateResult(lines, up_to_date=False)


def _unchanged(spec: str, package_dir: Path, lock: dict[str, Any]) -> bool:
    """True when a file document, our code and the output all match the lock: nothing to regenerate."""
    if spec.startswith(("http://", "https://")) or not package_dir.is_dir():
        return False
    try:
        document_sha256 = hashlib.sha256(Path(spec).read_bytes()).hexdigest()
    except OSError:
        return False
    return lock.get("fingerprint") == fingerprint(document_sha256) and lock.get("tree_sha256") == tree_digest(
        package_dir
    )


def _document_info(document: FetchedDocument) -> dict[str, Any]:
    return {
        "sha256": document.sha256,
        "openapi": document.openapi_version,
        "xapi_version": xapi_version(document.source, document.data),
    }


def _write_lock(
    document: FetchedDocument, info: dict[str, Any], rendered: Rendered, schemas: int, print_fp: str, tree: str
) -> None:
    lock = {
        "lock_version": LOCK_VERSION,
        "source": document.source,
        "sha256": info["sha256"],
        "openapi": info["openapi"],
        "xapi_version": info["xapi_version"],
        "operations": rendered.operations,
        "generated_operations": rendered.generated,
        "schemas": schemas,
        "models": rendered.models,
        "generator": {tool: version(tool) for tool in ("openapi-python-client", "ruff", "pyyaml")},
        "fingerprint": print_fp,
        "tree_sha256": tree,
    }
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    LOCK.write_text(json.dumps(lock, indent=2) + "\n", "utf-8")


def compare_trees(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ between two generated packages (added, removed or changed)."""
    left = {p.relative_to(expected).as_posix(): p for p in _files(expected)}
    right = {p.relative_to(actual).as_posix(): p for p in _files(actual)}
    differ = [f"only in {expected}: {name}" for name in sorted(left.keys() - right.keys())]
    differ += [f"only in {actual}: {name}" for name in sorted(right.keys() - left.keys())]
    differ += [
        f"differs: {name}"
        for name in sorted(left.keys() & right.keys())
        if left[name].read_bytes() != right[name].read_bytes()
    ]
    return differ
