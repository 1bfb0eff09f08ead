"""The $filter builder: exact OData text, unambiguous parentheses, checked names, and literals that never leak."""

from __future__ import annotations

import copy
import enum
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threecx_xapi._filters import F, Filter, Operand, Property, Raw

# --- the documented examples, exactly ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: F.State == "Connected", "State eq 'Connected'"),
        (lambda: F.LastName == "O'Brien", "LastName eq 'O''Brien'"),
        (lambda: (F.Number >= "100") & ~F.Enabled.eq(False), "(Number ge '100') and (not (Enabled eq false))"),
        (
            lambda: F.Number.startswith("1") | F.FirstName.contains("x"),
            "startswith(Number,'1') or contains(FirstName,'x')",
        ),
        (lambda: F.EmailAddress.tolower() == "a@b.c", "tolower(EmailAddress) eq 'a@b.c'"),
        (lambda: F.SegmentStartTime.date() >= date(2025, 3, 1), "date(SegmentStartTime) ge 2025-03-01"),
        (lambda: F.Id.in_([1, 2, 3]), "Id in (1,2,3)"),
        (lambda: F.Groups.Name == "x", "Groups/Name eq 'x'"),
        (lambda: F.X == None, "X eq null"),  # noqa: E711 - building an expression, not comparing
        (lambda: F.X != 1, "X ne 1"),
        (lambda: F.X < 1, "X lt 1"),
        (lambda: F.X <= 1, "X le 1"),
        (lambda: F.X > 1, "X gt 1"),
        (lambda: F.X >= 1, "X ge 1"),
        (lambda: F.X.eq(1), "X eq 1"),
        (lambda: F.X.ne(None), "X ne null"),
        (lambda: F.X.gt(1.5), "X gt 1.5"),
        (lambda: F.X.ge(-2), "X ge -2"),
        (lambda: F.X.lt(True), "X lt true"),
        (lambda: F.X.le(Decimal("1.50")), "X le 1.50"),
        (lambda: F.Name.endswith("z"), "endswith(Name,'z')"),
        (lambda: F.Name.toupper() == "AB", "toupper(Name) eq 'AB'"),
        (lambda: F.Name.trim().tolower() == "ab", "tolower(trim(Name)) eq 'ab'"),
        (lambda: F.Name.length() > 3, "length(Name) gt 3"),
        (lambda: F.T.year() == 2025, "year(T) eq 2025"),
        (lambda: F.T.month() == 3, "month(T) eq 3"),
        (lambda: F.T.day() == 1, "day(T) eq 1"),
        (lambda: F.Name.startswith(F.Prefix), "startswith(Name,Prefix)"),
        (lambda: F.A == F.B, "A eq B"),
        (lambda: F.Name.in_(["a", "O'B"]), "Name in ('a','O''B')"),
        (lambda: F("Groups/Name") == "x", "Groups/Name eq 'x'"),
        (lambda: F.a.b.c_1 == 0, "a/b/c_1 eq 0"),
        (lambda: F("_x") == 0, "_x eq 0"),
    ],
)
def test_renders(build: Callable[[], Filter], expected: str) -> None:
    expr = build()
    assert str(expr) == expected
    assert expr.to_odata() == expected


def test_reflected_comparisons_keep_the_property_on_the_left() -> None:
    assert str("Connected" == F.State) == "State eq 'Connected'"  # noqa: SIM300 - the point of the test
    assert str(5 < F.X) == "X gt 5"  # noqa: SIM300
    assert str(5 >= F.X) == "X le 5"  # noqa: SIM300


def test_literals_come_from_the_generated_literal_function() -> None:
    class Colour(enum.Enum):
        RED = "Red"

    guid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert str(F.Id == guid) == "Id eq 12345678-1234-5678-1234-567812345678"
    assert str(F.C == Colour.RED) == "C eq 'Red'"
    assert str(F.Start >= datetime(2025, 3, 1, tzinfo=timezone.utc)) == "Start ge 2025-03-01T00:00:00Z"
    plus_two = timezone(timedelta(hours=2))
    assert str(F.Start < datetime(2025, 3, 1, 8, 30, tzinfo=plus_two)) == "Start lt 2025-03-01T08:30:00+02:00"
    assert str(F.Value == float("inf")) == "Value eq INF"
    with pytest.raises(ValueError, match="naive"):
        F.Start >= datetime(2025, 3, 1)  # noqa: B015 - the comparison itself must raise
    with pytest.raises(TypeError, match="no OData literal"):
        F.Value == object()  # noqa: B015


# --- precedence and parentheses ------------------------------------------------------------------------


def test_and_or_not_parenthesise_every_non_call_operand() -> None:
    a, b, c = F.A == 1, F.B == 2, F.C == 3
    assert str(a & b & c) == "(A eq 1) and (B eq 2) and (C eq 3)"
    assert str(a | b | c) == "(A eq 1) or (B eq 2) or (C eq 3)"
    assert str(a | b & c) == "(A eq 1) or ((B eq 2) and (C eq 3))"
    assert str((a | b) & c) == "((A eq 1) or (B eq 2)) and (C eq 3)"
    assert str(a & (b | c)) == "(A eq 1) and ((B eq 2) or (C eq 3))"
    assert str(~(a & b)) == "not ((A eq 1) and (B eq 2))"
    assert str(~~a) == "not (not (A eq 1))"
    assert str(~a | b) == "(not (A eq 1)) or (B eq 2)"
    assert str(~F.N.startswith("x")) == "not startswith(N,'x')"
    assert str(F.N.contains("x") & F.N.endswith("y")) == "contains(N,'x') and endswith(N,'y')"
    assert str(F.Id.in_([1]) & a) == "(Id in (1)) and (A eq 1)"


def test_flattening_keeps_the_left_to_right_order() -> None:
    a, b, c, d = (F.A == 1), (F.B == 2), (F.C == 3), (F.D == 4)
    assert str((a & b) & (c & d)) == "(A eq 1) and (B eq 2) and (C eq 3) and (D eq 4)"
    assert str(a & (b | c) & d) == "(A eq 1) and ((B eq 2) or (C eq 3)) and (D eq 4)"


def test_raw_is_passed_through_and_parenthesised_when_combined() -> None:
    raw = Raw("a eq 1 or b eq 2")
    assert str(raw) == "a eq 1 or b eq 2"
    assert str(raw & (F.C == 3)) == "(a eq 1 or b eq 2) and (C eq 3)"
    assert str((F.C == 3) | raw) == "(C eq 3) or (a eq 1 or b eq 2)"
    assert str(~raw) == "not (a eq 1 or b eq 2)"
    with pytest.raises(ValueError, match="empty"):
        Raw("  ")
    with pytest.raises(TypeError):
        Raw(F.X == 1)  # type: ignore[arg-type]


def test_plain_strings_must_be_wrapped_in_raw() -> None:
    f = F.X == 1
    with pytest.raises(TypeError, match=r"Raw\(") as left:
        f & "Y eq 2"  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"Raw\("):
        "Y eq 2" | f  # type: ignore[operator]
    assert "not escaped" in str(left.value)
    with pytest.raises(TypeError, match="takes filters"):
        f & F.Enabled  # type: ignore[operator]
    with pytest.raises(TypeError, match="takes filters"):
        F.Enabled | f  # type: ignore[operator]


# --- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "bad_segment"),
    [
        ("Display Name", "Display Name"),
        ("", ""),
        ("1st", "1st"),
        ("Groups/", ""),
        ("/Name", ""),
        ("Groups//Name", ""),
        ("Groups/Na-me", "Na-me"),
        ("Name'", "Name'"),
        ("Name eq 'x' or 1 eq 1", "Name eq 'x' or 1 eq 1"),
        ("Näme", "Näme"),
        ("a" * 129, "a" * 129),
    ],
)
def test_bad_property_paths_are_refused_by_name(path: str, bad_segment: str) -> None:
    with pytest.raises(ValueError, match="not an OData property name") as info:
        F(path)
    assert str(info.value).startswith(repr(bad_segment))
    if "/" in path:
        assert repr(path) in str(info.value)


def test_bad_attribute_segments_are_refused() -> None:
    with pytest.raises(ValueError, match="'Näme'"):
        _ = F.Groups.Näme
    with pytest.raises(TypeError):
        F(42)  # type: ignore[arg-type]


def test_private_and_dunder_attributes_are_not_properties() -> None:
    for name in ("_x", "__array__", "_repr_html_", "_ipython_display_"):
        with pytest.raises(AttributeError):
            getattr(F, name)
        with pytest.raises(AttributeError):
            getattr(F.Groups, name)


@given(st.text(max_size=20))
def test_any_name_is_either_a_checked_identifier_or_refused(name: str) -> None:
    try:
        prop = F(name)
    except ValueError as exc:
        assert repr(name) in str(exc) or "/" in name
    else:
        assert prop.to_odata() == name
        assert all(ch.isascii() and (ch.isalnum() or ch in "_/") for ch in name)


# --- safety rails --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr", [F.X == 1, F.X, F.X.tolower(), (F.X == 1) & (F.Y == 2), ~(F.X == 1), Raw("x"), F.N.startswith("a")]
)
def test_bool_raises(expr: Filter | Operand) -> None:
    with pytest.raises(TypeError, match=r"& \| ~"):
        bool(expr)
    with pytest.raises(TypeError):
        _ = (F.A == 1) and expr
    with pytest.raises(TypeError):
        _ = not expr


def test_chained_comparisons_raise() -> None:
    with pytest.raises(TypeError):
        _ = 1 < F.X < 3


def test_expressions_are_immutable_and_operands_unhashable() -> None:
    f = F.X == 1
    with pytest.raises(AttributeError):
        f._left = F.Y
    with pytest.raises(AttributeError):
        F.X._path = ("Y",)
    with pytest.raises(AttributeError):
        del F.X._path
    with pytest.raises(TypeError):
        hash(F.X)
    with pytest.raises(TypeError):
        hash(F.X.tolower())
    assert hash(f) == hash(f)  # filters keep identity equality and hashing
    assert copy.copy(f) is f
    assert copy.deepcopy({"filter": f})["filter"] is f
    assert isinstance(F.X, Property)


def test_repr_shows_the_text() -> None:
    assert repr(F.X == 1) == "Filter('X eq 1')"
    assert repr(F.X) == "Property('X')"
    assert repr(F.X.tolower()) == "Operand('tolower(X)')"
    assert repr(Raw("a eq 1")) == "Raw('a eq 1')"
    assert repr(F) == "F"


def test_in_needs_a_non_empty_list() -> None:
    with pytest.raises(ValueError, match="at least one"):
        F.Id.in_([])
    with pytest.raises(TypeError, match="list"):
        F.Id.in_("abc")
    with pytest.raises(TypeError, match="list"):
        F.Id.in_({"a": 1})
    with pytest.raises(TypeError, match="list"):
        F.Id.in_(5)  # type: ignore[arg-type]
    assert str(F.Id.in_(x for x in (1, 2))) == "Id in (1,2)"


def test_string_predicates_take_text() -> None:
    with pytest.raises(TypeError, match="str"):
        F.N.startswith(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="filter"):
        F.Value == (F.Other == 1)  # noqa: B015


# --- property-based: literals never leak ---------------------------------------------------------------

HOSTILE = st.text(
    alphabet=st.one_of(st.sampled_from("'''\"()/,\\ %&=#+?;\n\t eqandornot"), st.characters()),
    max_size=30,
)


def _read_literal(text: str, start: int) -> tuple[str, int]:
    """An OData string literal starting at text[start] == "'": its value and the index just past it."""
    assert text[start] == "'"
    out: list[str] = []
    i = start + 1
    while True:
        if i >= len(text):
            raise AssertionError(f"unterminated literal in {text!r}")
        if text[i] == "'":
            if i + 1 < len(text) and text[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1


@given(HOSTILE)
def test_any_text_round_trips_through_eq(value: str) -> None:
    text = str(F.Name == value)
    prefix = "Name eq "
    assert text.startswith(prefix + "'")
    parsed, end = _read_literal(text, len(prefix))
    assert parsed == value
    assert end == len(text), "the literal ended early: the rest would be read as OData"
    assert text[: len(prefix)] + text[end:] == prefix


@given(HOSTILE)
def test_any_text_round_trips_through_functions(value: str) -> None:
    for build, name in ((F.Name.startswith, "startswith"), (F.Name.contains, "contains")):
        text = str(build(value))
        head = f"{name}(Name,"
        assert text.startswith(head)
        parsed, end = _read_literal(text, len(head))
        assert parsed == value
        assert text[end:] == ")"


# A tiny independent parser for the subset the builder emits, with OData precedence (not > and > or), so
# the text is checked to mean what the Python expression meant.

Tree = tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == " ":
            i += 1
        elif ch in "(),":
            out.append(("punct", ch))
            i += 1
        elif ch == "'":
            value, i = _read_literal(text, i)
            out.append(("string", value))
        else:
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] in "_/"):
                j += 1
            assert j > i, f"unexpected {ch!r} at {i} in {text!r}"
            out.append(("word", text[i:j]))
            i = j
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.leaves: list[Tree] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        assert token is not None and token[0] == kind and (value is None or token[1] == value), (token, kind, value)
        self.pos += 1
        return token[1]

    def parse(self) -> Tree:
        tree = self.or_expr()
        assert self.pos == len(self.tokens), "trailing tokens"
        return tree

    def or_expr(self) -> Tree:
        parts = [self.and_expr()]
        while self.peek() == ("word", "or"):
            self.take("word")
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else ("or", *parts)

    def and_expr(self) -> Tree:
        parts = [self.unary()]
        while self.peek() == ("word", "and"):
            self.take("word")
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else ("and", *parts)

    def unary(self) -> Tree:
        token = self.peek()
        if token == ("word", "not"):
            self.take("word")
            return ("not", self.unary())
        if token == ("punct", "("):
            self.take("punct")
            tree = self.or_expr()
            self.take("punct", ")")
            return tree
        if token in (("word", "startswith"), ("word", "contains")):
            name = self.take("word")
            self.take("punct", "(")
            self.take("word", "Name")
            self.take("punct", ",")
            leaf: Tree = (name, self.take("string"))
            self.take("punct", ")")
        else:
            self.take("word", "Name")
            self.take("word", "eq")
            leaf = ("eq", self.take("string"))
        self.leaves.append(leaf)
        return ("leaf", len(self.leaves) - 1)


def _evaluate(tree: Tree, truth: list[bool]) -> bool:
    kind = tree[0]
    if kind == "leaf":
        return truth[tree[1]]
    if kind == "not":
        return not _evaluate(tree[1], truth)
    results = [_evaluate(part, truth) for part in tree[1:]]
    return all(results) if kind == "and" else any(results)


LEAVES = st.tuples(st.sampled_from(["eq", "startswith", "contains"]), HOSTILE)
MODELS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.tuples(st.just("and"), inner, inner),
        st.tuples(st.just("or"), inner, inner),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=8,
)


def _build(model: Tree, leaves: list[Tree]) -> Filter:
    kind = model[0]
    if kind == "and":
        return _build(model[1], leaves) & _build(model[2], leaves)
    if kind == "or":
        return _build(model[1], leaves) | _build(model[2], leaves)
    if kind == "not":
        return ~_build(model[1], leaves)
    leaves.append(model)
    value = model[1]
    return {"eq": F.Name.eq, "startswith": F.Name.startswith, "contains": F.Name.contains}[kind](value)


def _evaluate_model(model: Tree, truth: list[bool], counter: list[int]) -> bool:
    kind = model[0]
    if kind == "not":
        return not _evaluate_model(model[1], truth, counter)
    if kind in ("and", "or"):
        left = _evaluate_model(model[1], truth, counter)
        right = _evaluate_model(model[2], truth, counter)
        return (left and right) if kind == "and" else (left or right)
    counter[0] += 1
    return truth[counter[0] - 1]


@given(MODELS, st.data())
def test_combinations_of_hostile_strings_parse_back_to_the_same_expression(model: Tree, data: st.DataObject) -> None:
    put_in: list[Tree] = []
    text = str(_build(model, put_in))
    parser = _Parser(text)
    tree = parser.parse()
    assert len(parser.leaves) == len(put_in)
    assert parser.leaves == put_in
    for _ in range(4):
        truth = data.draw(st.lists(st.booleans(), min_size=len(put_in), max_size=len(put_in)))
        assert _evaluate(tree, truth) == _evaluate_model(model, truth, [0])
