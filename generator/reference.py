"""``api.md``: every operation as the SDK spells it, written from the same data as the code on every run.

Grouped by resource, each operation as ``pbx.<resource>.<method>(...)`` with its HTTP method and path, its
parameters and return type, then two lookups: 3CX operation id -> method, and URL -> method. ``make
check-generated`` compares it like any generated file, so it never drifts from the package.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .facade import FacadeMethod

__all__ = ["api_reference"]


def _signature(method: FacadeMethod) -> str:
    parts = [f"{a.name}: {a.annotation}" for a in method.path_arguments]
    keywords = [f"{a.name}: {a.annotation}" + (f" = {a.default}" if a.default else "") for a in method.body_arguments]
    keywords += [f"{a.name}=None" for a in method.keyword_arguments]
    if method.paged:
        keywords.append("limit=None")
    if keywords:
        parts += ["*", *keywords]
    return ", ".join(parts)


def _returns(method: FacadeMethod) -> str:
    if method.paged:
        return f"SyncPage[{method.page_item}]" + (" | File" if method.file else "")
    return method.returns


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def api_reference(methods: list[FacadeMethod], records: list[dict[str, Any]], xapi_version: str | None) -> str:
    """The Markdown reference of every operation (``AsyncXAPI`` has the same methods, awaited)."""
    by_id = {r["operation_id"]: r for r in records}
    by_tag: dict[str, list[FacadeMethod]] = defaultdict(list)
    for method in methods:
        by_tag[method.tag].append(method)
    lines = [
        f"# XAPI reference{f' (XAPI {xapi_version})' if xapi_version else ''}",
        "",
        "Generated from the XAPI document by `make generate`; do not edit. Every operation is "
        "`pbx.<resource>.<method>(...)` on `XAPI` (and the same, awaited, on `AsyncXAPI`). Every method also takes "
        "`extra_headers`, `extra_query`, `timeout` (and `extra_body` where there is a body); paged methods return "
        "a page that iterates every item across pages. Models and enums: `from threecx_xapi.types import ...`.",
        "",
        f"{len(methods)} operations in {len(by_tag)} resources. Lookups: [by operation id](#by-operation-id), "
        "[by URL](#by-url).",
        "",
        "## Resources",
        "",
        ", ".join(f"[`{tag}`](#{tag.replace('_', '-')}) ({len(by_tag[tag])})" for tag in sorted(by_tag)),
        "",
    ]
    for tag in sorted(by_tag):
        lines += [f"## {tag.replace('_', '-')}", "", f"`pbx.{tag}`", ""]
        for method in sorted(by_tag[tag], key=lambda m: m.name):
            record = by_id[method.operation_id]
            lines += [
                f"### `{tag}.{method.name}`",
                "",
                "```python",
                f"pbx.{tag}.{method.name}({_signature(method)}) -> {_returns(method)}",
                "```",
                "",
                f"`{record['method']} {record['path']}` · operation `{method.operation_id}`"
                + (f" · {method.summary}" if method.summary else ""),
                "",
            ]
    lines += ["## By operation id", "", "| 3CX operation id | method |", "|---|---|"]
    for method in sorted(methods, key=lambda m: m.operation_id):
        lines.append(f"| `{method.operation_id}` | `pbx.{method.tag}.{method.name}` |")
    lines += ["", "## By URL", "", "| HTTP | path | method |", "|---|---|---|"]
    for method in sorted(methods, key=lambda m: (by_id[m.operation_id]["path"], by_id[m.operation_id]["method"])):
        record = by_id[method.operation_id]
        lines.append(f"| {record['method']} | `{_cell(record['path'])}` | `pbx.{method.tag}.{method.name}` |")
    return "\n".join(lines) + "\n"
