"""Writing a file answer (downloads, exports): to ``--output FILE``, to stdout with ``-o -``, or under the
name the PBX gave in Content-Disposition, made safe: only its last path component, no control characters,
never ``.``/``..`` or a hidden name, and never over an existing file (``name (1).ext`` instead).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from ._errors import ERROR, CommandError

__all__ = ["ChunkReader", "safe_file_name", "save"]

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')
_CHUNK = 1 << 16


def safe_file_name(suggested: str | None, fallback: str) -> str:
    """A name to save under in the current folder: the suggestion's last component, cleaned, or ``fallback``."""
    name = (suggested or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    return name[:200] if name and name not in (".", "..") else fallback


def _free(path: Path) -> Path:
    if not path.exists():
        return path
    stem, suffix = path.stem, path.suffix
    for n in range(1, 10_000):
        candidate = path.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists():
            return candidate
    raise CommandError(f"no free name for {path.name} in {path.parent}")


class ChunkReader:
    """Chunks of a streamed answer read like a file by ``shutil.copyfileobj``; counts what went through."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = next(self._chunks, b"")
        self.size += len(chunk)
        return chunk


def save(payload: BinaryIO | ChunkReader, *, output: str | None, suggested: str | None, fallback: str) -> str | None:
    """Copy ``payload`` in chunks; returns where it went (None for stdout)."""
    if output == "-":
        shutil.copyfileobj(payload, sys.stdout.buffer, _CHUNK)
        sys.stdout.buffer.flush()
        return None
    if output is not None:
        target = Path(output)
        mode = "wb"
    else:
        target = _free(Path.cwd() / safe_file_name(suggested, fallback))
        mode = "xb"  # never replaces a file, even one created since the check
    try:
        with open(target, mode) as handle:
            shutil.copyfileobj(payload, handle, _CHUNK)
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or exc}", ERROR) from None
    return os.fspath(target)
