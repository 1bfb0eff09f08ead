"""Tests for generator.progress and how the pipeline uses it: stages on a terminal and on a plain stream, the
renderer's N-of-M callback, and a second run into an ``OUT=`` folder that already holds its output.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.output import PACKAGE
from generator.pipeline import STAMP, generate
from generator.progress import STAGES, Progress
from tests.generator.older_document import older_document


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_stream_gets_finished_lines_only() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    assert progress.live is False
    with progress.stage("load"):
        pass
    with progress.stage("render"):
        for done in range(1, 601):
            progress.advance(done, 600)
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"\[1/5\] load done in \d+\.\d s", lines[0])
    steps = lines[1:-1]
    assert steps[0] == "[3/5] render 60/600" and steps[-1] == "[3/5] render 600/600"
    assert len(steps) == 10  # one line per tenth, not one per operation
    assert re.fullmatch(r"\[3/5\] render done in \d+\.\d s", lines[-1])


def test_terminal_rewrites_one_line_per_stage() -> None:
    stream = Terminal()
    progress = Progress(stream)
    assert progress.live is True
    with progress.stage("render"):
        progress.advance(1, 601)
        progress.advance(601, 601)
    text = stream.getvalue()
    assert text.startswith("\r\x1b[2K[3/5] render ...\r\x1b[2K[3/5] render 1/601\r\x1b[2K[3/5] render 601/601")
    assert text.count("\n") == 1 and text.endswith(" s\n")


def test_a_failed_stage_reports_no_completion() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    with pytest.raises(RuntimeError), progress.stage("format"):
        raise RuntimeError("ruff failed")
    assert stream.getvalue() == ""


def test_render_gets_the_callback_only_when_it_takes_one() -> None:
    progress = Progress(io.StringIO())

    def without(doc: Any, *, package_dir: Path) -> Any:
        return None

    def with_progress(doc: Any, *, package_dir: Path, progress: Any = None) -> Any:
        return None

    assert pipeline._render_progress(without, progress) == {}
    assert pipeline._render_progress(with_progress, progress) == {"progress": progress.advance}


@pytest.mark.slow
def test_generate_reports_every_stage_and_a_second_run_into_out_is_a_no_op(tmp_path: Path) -> None:
    spec = tmp_path / "xapi.json"
    spec.write_text(json.dumps(older_document()), "utf-8")
    out = tmp_path / "out"
    stream = io.StringIO()
    first = generate(str(spec), out, write_lock=False, log=lambda _line: None, progress=Progress(stream))
    assert not first.up_to_date
    done = [line.split("] ")[1].split(" done")[0] for line in stream.getvalue().splitlines() if " done in " in line]
    assert done == list(STAGES)
    stamp = json.loads((out / STAMP).read_text("utf-8"))
    assert stamp["sha256"] == hashlib.sha256(spec.read_bytes()).hexdigest()
    assert stamp["tree_sha256"] == pipeline.tree_digest(out / PACKAGE)

    again = io.StringIO()
    second = generate(str(spec), out, write_lock=False, log=lambda _line: None, progress=Progress(again))
    assert second.up_to_date and again.getvalue() == ""
    assert second.lines == [
        f"up to date: {out}/{PACKAGE} already holds what this run would write ({STAMP}, "
        + second.lines[0].rsplit(", ", 1)[1]
    ]

    # a hand edit in the output, or another document, means work again
    (out / PACKAGE / "py.typed").write_text("edited", "utf-8")
    assert not generate(
        str(spec), out, write_lock=False, log=lambda _line: None, progress=Progress(io.StringIO())
    ).up_to_date
    assert (out / PACKAGE / "py.typed").read_text("utf-8") == ""
    changed = older_document()
    changed["info"]["version"] = "1.0.1"
    spec.write_text(json.dumps(changed), "utf-8")
    assert not generate(
        str(spec), out, write_lock=False, log=lambda _line: None, progress=Progress(io.StringIO())
    ).up_to_date
    forced = generate(
        str(spec), out, write_lock=False, force=True, log=lambda _line: None, progress=Progress(io.StringIO())
    )
    assert not forced.up_to_date
