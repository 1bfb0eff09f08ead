"""Compare two SDK surfaces and classify every change by what it does to code using the SDK.

The direction decides: an argument (a request) may accept more than before but not less; a result or a field a
response fills may hold less than before (``int`` where ``float`` was, no longer ``None``) but not more. A model
a request body also carries must satisfy both. Removed methods, models, fields and enum members, arguments
added without a default and changed return shapes are breaking; each breaking change carries a one-line hint.
A field 3CX retypes from ``number`` to ``integer`` with an integer format is not breaking either way: the
document always said whole numbers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .surface import Annotation, Argument, Field, Method, Model, Surface

__all__ = ["ADDITION", "BREAKING", "OTHER", "Change", "UpgradeReport", "compare", "is_subtype"]

BREAKING, ADDITION, OTHER = "breaking", "addition", "other"


@dataclass(frozen=True)
class Change:
    """One thing that changed, said once: ``group`` is ``pbx.<resource>`` or a class name, ``text`` is Markdown."""

    group: str
    text: str
    kind: str  # BREAKING, ADDITION or OTHER
    hint: str = ""

    @property
    def breaking(self) -> bool:
        return self.kind == BREAKING


@dataclass(frozen=True)
class UpgradeReport:
    """Every change between two surfaces, and the counts of the summary line."""

    changes: tuple[Change, ...]
    methods: tuple[int, int, int]  # added, removed, changed
    models: tuple[int, int, int]

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def breaking(self) -> int:
        return len(self.of_kind(BREAKING))

    @property
    def bump(self) -> str:
        """Semantic-version bump for the SDK: major when anything breaks, minor for additions, patch otherwise."""
        if self.breaking:
            return "major"
        return "minor" if self.of_kind(ADDITION) else "patch"


# --------------------------------------------------------------------------------------------------- Python types


def _split(text: str) -> list[str]:
    """Members of an annotation's text at bracket depth 0 (``list[int | None] | None`` -> two members)."""
    out, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char == "["
        depth -= char == "]"
        if depth == 0 and text.startswith(" | ", i):
            out.append(text[start:i])
            start = i + 3
    out.append(text[start:])
    return [part for part in out if part]


def _member_subtype(small: str, big: str) -> bool:
    if small == big or (small == "int" and big == "float") or big in ("Any", "object"):
        return True
    if small.startswith("list[") and big.startswith("list["):
        return _members_subtype(_split(small[5:-1]), _split(big[5:-1]))
    return False


def _members_subtype(small: Iterable[str], big: Iterable[str]) -> bool:
    bigger = list(big)
    return all(any(_member_subtype(x, y) for y in bigger) for x in small)


def is_subtype(small: Annotation, big: Annotation) -> bool:
    """Every value of ``small`` is a value of ``big`` (``int`` is a ``float``, ``X`` is an ``X | None``)."""
    return _members_subtype(small.members, big.members)


def _whole_retype(old: Annotation, new: Annotation) -> bool:
    """``float`` <-> ``int`` where the document declared an integer format: the values never changed."""
    if not (old.whole or new.whole):
        return False
    swap = {"float": "int", "int": "float"}
    return {swap.get(m, m) for m in old.members} == set(new.members) or {
        m.replace("list[float", "list[int") for m in old.members
    } == set(new.members)


def _with_unset(field: Field) -> Annotation:
    extra = frozenset() if field.required else frozenset({"Unset"})
    return Annotation(field.annotation.members | extra, field.annotation.whole, field.annotation.refs)


def _code(text: object) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def _close(name: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return found[0] if found else None


# --------------------------------------------------------------------------------------------------- methods


def _signature(method: Method) -> str:
    shown = [a.name for a in method.arguments if a.kind == "positional"]
    shown += [f"{a.name}=..." for a in method.arguments if a.kind != "positional" and a.required]
    return f"{method.call}({', '.join(shown)})"


def _method_changes(old: Method, new: Method) -> list[Change]:
    group = f"pbx.{new.resource}"
    name = _code(new.name)
    out: list[Change] = []
    before = {a.name: a for a in old.arguments}
    after = {a.name: a for a in new.arguments}

    gone_options = [a.name for a in old.arguments if a.kind == "option" and a.name not in after]
    if old.page_of and not new.page_of:
        options = f"; it no longer takes {', '.join(map(_code, gone_options))}" if gone_options else ""
        out.append(
            Change(
                group,
                f"{name} returns {_code(new.returns_text)} instead of pages of {_code(old.page_of)}{options}",
                BREAKING,
                f"read the {_code(new.returns_text)} result directly; drop `.auto_paging()` and paging arguments",
            )
        )
        gone_options = []
    elif old.returns_text != new.returns_text:
        fine = is_subtype(new.returns, old.returns) or _whole_retype(old.returns, new.returns)
        text = f"{name} returns {_code(new.returns_text)} (was {_code(old.returns_text)})"
        hint = f"read the result as {_code(new.returns_text)}"
        out.append(Change(group, text, OTHER if fine else BREAKING, "" if fine else hint))
    if gone_options:
        out.append(
            Change(
                group,
                f"{name} no longer takes the OData options {', '.join(map(_code, gone_options))}",
                BREAKING,
                "drop those arguments",
            )
        )

    old_positional = [a.name for a in old.arguments if a.kind == "positional"]
    new_positional = [a.name for a in new.arguments if a.kind == "positional"]
    for arg in new.arguments:
        if arg.name in before:
            continue
        if arg.required:
            none = "; `None` is sent as null" if "None" in arg.annotation.members else ""
            how = (
                f"pass it positionally: {_code(_signature(new))}"
                if arg.kind == "positional"
                else f"pass {arg.name}=..."
            )
            out.append(
                Change(
                    group,
                    f"{name} takes a new required argument {_code(arg.name)} ({_code(arg.annotation)})",
                    BREAKING,
                    how + none,
                )
            )
        else:
            out.append(Change(group, f"{name} takes a new optional argument {_code(arg.name)}", ADDITION))
    for arg in old.arguments:
        if arg.name not in after and arg.kind != "option":
            out.append(
                Change(
                    group, f"{name} no longer takes {_code(arg.name)}", BREAKING, f"drop the {_code(arg.name)} argument"
                )
            )
    kept_old = [n for n in old_positional if n in new_positional]
    kept_new = [n for n in new_positional if n in old_positional]
    if kept_old != kept_new:
        out.append(
            Change(
                group,
                f"{name} takes its positional arguments in a new order: "
                f"{', '.join(kept_new)} (was {', '.join(kept_old)})",
                BREAKING,
                "pass them by keyword, or in the new order",
            )
        )
    for arg in new.arguments:
        was = before.get(arg.name)
        if was is None:
            continue
        out += _argument_change(group, name, was, arg)
    if old.route != new.route and not (_bare(old.route) == _bare(new.route) and before.keys() != after.keys()):
        # a route that differs only by the parameters added or removed above says nothing new
        out.append(Change(group, f"{name} now sends {_code(new.route)} (was {_code(old.route)})", OTHER))
    return out


def _bare(route: str) -> str:
    return re.sub(r"\([^()]*\)", "()", route)


def _argument_change(group: str, name: str, was: Argument, arg: Argument) -> list[Change]:
    out: list[Change] = []
    if was.annotation.members != arg.annotation.members:
        fine = is_subtype(was.annotation, arg.annotation) or _whole_retype(was.annotation, arg.annotation)
        text = f"{name} argument {_code(arg.name)} takes {_code(arg.annotation)} (was {_code(was.annotation)})"
        out.append(Change(group, text, OTHER if fine else BREAKING, "" if fine else f"pass a {_code(arg.annotation)}"))
    if arg.required and not was.required:
        out.append(
            Change(group, f"{name} argument {_code(arg.name)} is now required", BREAKING, f"always pass {arg.name}=...")
        )
    elif was.required and not arg.required:
        out.append(Change(group, f"{name} argument {_code(arg.name)} is now optional", OTHER))
    return out


# --------------------------------------------------------------------------------------------------- models


def _model_changes(old: Model, new: Model, removed_models: Mapping[str, Model]) -> list[Change]:
    group = new.name
    out: list[Change] = []
    if old.kind != new.kind:
        text = f"{_code(new.name)} is now {'an enum' if new.kind == 'enum' else 'a model'}"
        return [
            Change(group, text, BREAKING, f"use {_code(new.name)} as {'an enum' if new.kind == 'enum' else 'a model'}")
        ]
    gone_members = [m for m in old.members if m not in new.members]
    for member in gone_members:
        other = _close(member, [m for m in new.members if m not in old.members])
        hint = (
            f"use {_code(f'{new.name}.{other}')}"
            if other
            else f"the PBX no longer sends or accepts {_code(old.members[member])}; drop the branches that handle it"
        )
        out.append(Change(group, f"{_code(f'{new.name}.{member}')} removed", BREAKING, hint))
    added_members = [m for m in new.members if m not in old.members]
    if added_members:
        out.append(Change(group, f"{_code(new.name)} has new members {', '.join(map(_code, added_members))}", ADDITION))

    added = [f for f in new.fields if f not in old.fields]
    for fname, fld in old.fields.items():
        if fname in new.fields:
            continue
        other = _close(fname, added)
        if other:
            hint = f"read and set {_code(f'{new.name}.{other}')} instead, if it means the same"
        else:
            hint = "no replacement in the new document; stop reading and setting it"
        gone_type = [r for r in fld.annotation.refs if r in removed_models]
        if gone_type:
            hint += f" ({_code(gone_type[0])} is gone too)"
        out.append(Change(group, f"{_code(f'{new.name}.{fname}')} removed", BREAKING, hint))
    optional_added = [f for f in added if not (new.fields[f].required and new.written)]
    if optional_added:
        out.append(Change(group, f"{_code(new.name)} has new fields {', '.join(map(_code, optional_added))}", ADDITION))
    for fname in added:
        if fname not in optional_added:
            text = f"{_code(f'{new.name}.{fname}')} is a new required field"
            out.append(Change(group, text, BREAKING, f"pass {fname}=... when you create a {_code(new.name)}"))
    for fname, fld in new.fields.items():
        was = old.fields.get(fname)
        if was is None:
            continue
        before, after = _with_unset(was), _with_unset(fld)
        if before.members == after.members:
            continue
        whole = _whole_retype(before, after)
        read_ok = whole or is_subtype(after, before)
        write_ok = whole or is_subtype(before, after)
        read, written = (new.read or old.read), (new.written or old.written)
        if not (read or written):
            read = written = True
        breaks = (read and not read_ok) or (written and not write_ok)
        text = f"{_code(f'{new.name}.{fname}')} is {_code(after)} (was {_code(before)})"
        if whole:
            text += "; the document always said whole numbers"
        if breaks:
            hint = "expect the new type where you read it" if read and not read_ok else ""
            hint = hint or f"set it to a {_code(after)}"
            out.append(Change(group, text, BREAKING, hint))
        else:
            out.append(Change(group, text, OTHER))
    return out


# --------------------------------------------------------------------------------------------------- both


def compare(old: Surface, new: Surface) -> UpgradeReport:
    """Every change from ``old`` to ``new``, each classified ``breaking``, ``addition`` or ``other``."""
    changes: list[Change] = []
    removed = {k: old.methods[k] for k in sorted(old.methods.keys() - new.methods.keys())}
    added = {k: new.methods[k] for k in sorted(new.methods.keys() - old.methods.keys())}
    for method in removed.values():
        same_resource = [m.name for m in added.values() if m.resource == method.resource]
        other = _close(method.name, same_resource)
        hint = (
            f"call {_code(f'{method.call[: -len(method.name)]}{other}')} instead, if it does the same"
            if other
            else "no replacement in the new document; remove the call"
        )
        text = f"{_code(method.call)} removed ({_code(method.route)})"
        changes.append(Change(f"pbx.{method.resource}", text, BREAKING, hint))
    for method in added.values():
        changes.append(Change(f"pbx.{method.resource}", f"new {_code(_signature(method))}", ADDITION))
    changed_methods = 0
    for key in sorted(old.methods.keys() & new.methods.keys()):
        found = _method_changes(old.methods[key], new.methods[key])
        changed_methods += bool(found)
        changes += found

    gone = {k: old.models[k] for k in sorted(old.models.keys() - new.models.keys())}
    fresh = {k: new.models[k] for k in sorted(new.models.keys() - old.models.keys())}
    for model in gone.values():
        other = _close(model.name, fresh)
        hint = f"use {_code(other)} instead, if it means the same" if other else "no replacement; remove its uses"
        changes.append(
            Change(
                model.name, f"{'enum' if model.kind == 'enum' else 'model'} {_code(model.name)} removed", BREAKING, hint
            )
        )
    for model in fresh.values():
        size = f"{len(model.members)} members" if model.kind == "enum" else f"{len(model.fields)} fields"
        changes.append(
            Change(
                model.name, f"new {'enum' if model.kind == 'enum' else 'model'} {_code(model.name)} ({size})", ADDITION
            )
        )
    changed_models = 0
    for key in sorted(old.models.keys() & new.models.keys()):
        found = _model_changes(old.models[key], new.models[key], gone)
        changed_models += bool(found)
        changes += found
    return UpgradeReport(
        tuple(changes),
        (len(added), len(removed), changed_methods),
        (len(fresh), len(gone), changed_models),
    )
