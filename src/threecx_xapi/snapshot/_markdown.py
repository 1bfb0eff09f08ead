"""A snapshot diff as Markdown, for people: a summary, then each resource's added, removed and changed entities.

Values are shown as one-line JSON in code spans, cut at 200 characters (``to_dict()`` has them whole).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._fields import FieldChange
from ._model import compact_json

if TYPE_CHECKING:
    from ._diff import ResourceDiff, SnapshotDiff

__all__ = ["render"]

_VALUE_LIMIT = 200


def _code(text: str) -> str:
    text = text.replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _value(value: Any) -> str:
    text = compact_json(value)
    if len(text) > _VALUE_LIMIT:
        text = text[: _VALUE_LIMIT - 3] + "..."
    return _code(text)


def _cell(text: str | None) -> str:
    return (text or "-").replace("|", "\\|")


def _field(change: FieldChange) -> str:
    if change.kind == "added":
        return f"{_code(change.path)}: added {_value(change.new)}"
    if change.kind == "removed":
        return f"{_code(change.path)}: removed (was {_value(change.old)})"
    return f"{_code(change.path)}: {_value(change.old)} -> {_value(change.new)}"


def _resource(result: ResourceDiff) -> list[str]:
    kind = "collection" if result.collection else "settings"
    key = ""
    if result.collection:
        key = f", matched by {_code(result.key)}" if result.key else ", matched by whole object"
    lines = [f"## {result.name}", "", f"{result.summary()} ({kind}{key})", ""]
    if not result.collection:
        lines += [f"- {_field(change)}" for entity in result.changed for change in entity.fields]
        return [*lines, ""]
    for title, entities in (("Added", result.added), ("Removed", result.removed)):
        if entities:
            lines += [f"### {title} ({len(entities)})", ""]
            lines += [f"- {_code(entity.label(result.key))}" for entity in entities]
            lines.append("")
    if result.changed:
        lines += [f"### Changed ({len(result.changed)})", ""]
        for entity in result.changed:
            lines.append(f"- {_code(entity.label(result.key))}")
            lines += [f"  - {_field(change)}" for change in entity.fields]
        lines.append("")
    return lines


def render(result: SnapshotDiff) -> str:
    """The whole report, ending with a newline."""
    a, b = result.a, result.b
    lines = [
        "# Snapshot diff",
        "",
        "| | A | B |",
        "|---|---|---|",
        f"| source | {_cell(a.source)} | {_cell(b.source)} |",
        f"| PBX | {_cell(a.pbx)} | {_cell(b.pbx)} |",
        f"| taken at | {_cell(a.taken_at)} | {_cell(b.taken_at)} |",
        f"| XAPI version | {_cell(a.xapi_version)} | {_cell(b.xapi_version)} |",
        f"| secrets | {'included' if a.secrets_included else 'blanked'} | "
        f"{'included' if b.secrets_included else 'blanked'} |",
        "",
    ]
    if not result.has_differences:
        lines.append(f"**No differences** in {len(result.unchanged)} resources compared.")
    else:
        count = len(result.resources)
        lines.append(
            f"**{count} resource{'s' if count != 1 else ''} differ**, {len(result.unchanged)} the same"
            + (f", {len(result.only_in_a)} only in A" if result.only_in_a else "")
            + (f", {len(result.only_in_b)} only in B" if result.only_in_b else "")
            + "."
        )
        if result.resources:
            lines += ["", *[f"- {r.name}: {r.summary()}" for r in result.resources]]
    lines.append("")
    for resource in result.resources:
        lines += _resource(resource)
    for title, names in (("Only in A", result.only_in_a), ("Only in B", result.only_in_b)):
        if names:
            lines += [f"## {title}", "", *[f"- {name}" for name in names], ""]
    if result.not_compared:
        lines += ["## Not compared", "", "| resource | A | B |", "|---|---|---|"]
        lines += [f"| {_cell(n.name)} | {n.a} | {n.b} |" for n in result.not_compared]
        lines.append("")
    if result.ignored:
        lines += ["Ignored: " + ", ".join(_code(p) for p in result.ignored), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
