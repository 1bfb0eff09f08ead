"""What changes for code using the SDK between two XAPI documents: ``make diff-spec`` and ``make regenerate``.

One module per job: ``naming`` (the SDK's names, by the generator's own rules), ``surface`` (the methods, models
and enums of one document, with Python types), ``compare`` (the changes, classified by direction), ``render``
(Markdown for ``spec/changes/`` and a shorter terminal text) and ``cli`` (loading, writing, the command line).
Descriptions, examples, patterns and bounds are left out: they do not change what code using the SDK sees.

Usage: ``python -m generator diff --old FILE --new FILE [--markdown-dir spec/changes]``.
"""

from __future__ import annotations

from .cli import CHANGES_DIR, add_arguments, document_label, main, markdown_name, report, run
from .compare import ADDITION, BREAKING, OTHER, Change, UpgradeReport, compare, is_subtype
from .render import render_markdown, render_text, summary_line
from .surface import Annotation, Argument, Field, Method, Model, SpecDiffError, Surface, surface

__all__ = [
    "ADDITION",
    "BREAKING",
    "CHANGES_DIR",
    "OTHER",
    "Annotation",
    "Argument",
    "Change",
    "Field",
    "Method",
    "Model",
    "SpecDiffError",
    "Surface",
    "UpgradeReport",
    "add_arguments",
    "compare",
    "document_label",
    "is_subtype",
    "main",
    "markdown_name",
    "render_markdown",
    "render_text",
    "report",
    "run",
    "summary_line",
    "surface",
]
