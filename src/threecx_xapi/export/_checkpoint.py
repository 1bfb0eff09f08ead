"""The checkpoint beside an export's output: how far it got, so a run can resume or continue from there.

Written (atomically: a temporary file renamed over the old one) after each complete window, once the output
is flushed to disk: the byte offset the output had then, the rows and windows so far, where the next window
starts, and the keys of the last window's rows. ``--resume`` truncates the output back to that offset (a window
cut short by a failure is dropped whole and fetched again) and continues with the next window; ``--since-last``
starts where a finished run ended. The keys let the first window of the continuation drop a row it shares with
the last one written (windows share their boundary instant).

The checkpoint names what was exported (operation, arguments, OData options, format, window, time zone); a
resume of something else is refused rather than appending unlike rows to the file. It holds no secrets.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import ExportError

__all__ = ["VERSION", "Checkpoint", "checkpoint_path", "load_checkpoint", "save_checkpoint"]

VERSION = 1


@dataclass
class Checkpoint:
    """The state of one export's output (see the module docstring); times are ISO 8601 in UTC."""

    identity: dict[str, Any]
    start: str  # the period's start, of the first run
    end: str  # the period's end, of this run
    next_start: str  # where the first window not complete starts (== end once finished)
    offset: int  # bytes of the output that hold complete windows
    rows: int
    windows: int
    columns: list[str]
    last_keys: list[Any] = field(default_factory=list)
    finished: bool = False
    version: int = VERSION


def checkpoint_path(output: str | os.PathLike[str]) -> Path:
    """The default checkpoint of ``output``: ``calls.csv`` -> ``calls.csv.checkpoint.json``."""
    path = Path(output)
    return path.with_name(path.name + ".checkpoint.json")


def load_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint at ``path``; :class:`ExportError` when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ExportError(f"no checkpoint at {path}: nothing to resume or continue from") from None
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot read the checkpoint {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ExportError(f"{path} is not a checkpoint of this version of threecx-xapi")
    try:
        return Checkpoint(**data)
    except TypeError:
        raise ExportError(f"{path} is not a complete checkpoint") from None


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically."""
    text = json.dumps(vars(checkpoint), ensure_ascii=False, default=str)  # flat: no deep copy of the keys
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
