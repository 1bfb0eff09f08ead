"""Progress of a generation, stage by stage: one updating line on a terminal, plain lines otherwise.

``Progress.stage(name)`` brackets a stage (``load``, ``normalise``, ``render``, ``format``, ``write``) and
reports how long it took; ``Progress.advance(done, total)`` reports the N of M inside a stage. The renderer takes
``advance`` as its callback (``render(..., progress=reporter.advance)``, a ``RenderProgress``) and calls it once
per operation. Progress goes to stderr, so the run's summary on stdout stays the same for scripts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["STAGES", "Progress", "RenderProgress", "silent"]

STAGES = ("load", "normalise", "render", "format", "write")

RenderProgress = Callable[[int, int], None]
"""``progress(done, total)``: ``done`` of ``total`` operations rendered so far."""

_PLAIN_STEPS = 10  # a plain stream gets about this many N-of-M lines per stage


class Progress:
    """Writes stage progress to ``stream``; ``live`` (default: the stream is a terminal) rewrites one line."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = _is_terminal(self.stream) if live is None else live
        self._stage = ""
        self._number = 0
        self._last_plain = 0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Bracket one stage: ``[3/5] render ...`` (on a terminal), then ``[3/5] render done in 5.1 s``."""
        self._stage, self._last_plain = name, 0
        self._number += 1
        started = time.perf_counter()
        self._write(f"{self._label()} ...", final=False)
        yield
        self._write(f"{self._label()} done in {time.perf_counter() - started:.1f} s", final=True)

    def advance(self, done: int, total: int) -> None:
        """``done`` of ``total`` in the current stage (the renderer's callback)."""
        if total <= 0:
            return
        if self.live:
            self._write(f"{self._label()} {done}/{total}", final=False)
            return
        step = done * _PLAIN_STEPS // total
        if step != self._last_plain and (step > self._last_plain or done == total):
            self._last_plain = step
            self._write(f"{self._label()} {done}/{total}", final=True)

    def _label(self) -> str:
        position = STAGES.index(self._stage) + 1 if self._stage in STAGES else self._number
        return f"[{position}/{len(STAGES)}] {self._stage}"

    def _write(self, text: str, *, final: bool) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        elif final:  # a plain stream gets finished lines only: nothing half-said before an error
            self.stream.write(text + "\n")
        else:
            return
        self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class _Silent(Progress):
    def _write(self, text: str, *, final: bool) -> None:
        return None


def silent() -> Progress:
    """A ``Progress`` that reports nothing (tests, ``check``)."""
    return _Silent(sys.stderr, live=False)
