"""An OData ``$filter`` builder whose literals are always escaped.

Hand-built filter strings break on the first ``O'Brien`` and invite injection, so values go through
:func:`threecx_xapi._odata.literal` (the same quoting every generated endpoint uses) and property
names are checked to be OData identifiers::

    F.LastName == "O'Brien"                        # LastName eq 'O''Brien'
    (F.Number >= "100") & ~F.Enabled.eq(False)     # (Number ge '100') and (not (Enabled eq false))
    F.EmailAddress.tolower().startswith("sales")   # startswith(tolower(EmailAddress),'sales')

Combine filters with ``&``, ``|`` and ``~``; Python's ``and``/``or``/``not`` and chained comparisons would
silently drop parts of the expression, so ``bool()`` of an expression raises :class:`TypeError`.
Every operand of ``and``/``or``/``not`` that is not a function call is parenthesised, so the text never
depends on OData's precedence rules.

:class:`Raw` wraps hand-written OData text for what the builder cannot express. It is NOT escaped or checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import ClassVar, NoReturn

from ._odata import literal

__all__ = ["Expr", "F", "Filter", "Operand", "Property", "Raw"]

# OData simple identifiers, restricted to ASCII: 3CX's property names are, and it keeps look-alikes out.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")

_BOOL_HINT = (
    "an OData expression has no truth value: combine filters with & | ~ instead of and/or/not, "
    "and write a < F.X < b as (F.X > a) & (F.X < b)"
)


def _check_identifier(name: object, path: str | None = None) -> str:
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        where = f" in property path {path!r}" if path is not None and path != name else ""
        raise ValueError(
            f"{name!r}{where} is not an OData property name: use letters, digits and _ (not starting with a digit), "
            "and / between the segments of a navigation path"
        )
    return name


def _split_path(path: object) -> tuple[str, ...]:
    if not isinstance(path, str):
        raise TypeError(f"a property path must be a str, got {type(path).__name__}")
    return tuple(_check_identifier(segment, path) for segment in path.split("/"))


class Expr:
    """Base of every expression: immutable, renders to OData text, and refuses ``bool()``."""

    __slots__ = ()

    def to_odata(self) -> str:
        """The OData text of this expression, ready for ``$filter`` (URL encoding is the client's job)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_odata()

    def __repr__(self) -> str:
        public = next(cls for cls in type(self).__mro__ if not cls.__name__.startswith("_"))
        return f"{public.__name__}({self.to_odata()!r})"

    def __bool__(self) -> NoReturn:
        raise TypeError(_BOOL_HINT)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __copy__(self) -> Expr:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Expr:
        return self


def _operand_text(value: object) -> str:
    """The right-hand side of a comparison: another operand as is, anything else as an escaped literal."""
    if isinstance(value, Operand):
        return value.to_odata()
    if isinstance(value, Expr):
        raise TypeError(f"cannot compare with a filter ({value.to_odata()!r}); compare a property or a value")
    return literal(value)


class Operand(Expr):
    """A value inside a filter: a property path, or a function of one. Comparing it builds a :class:`Filter`.

    ``==`` builds an expression instead of comparing, so operands are unhashable.
    """

    __slots__ = ()
    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    # --- comparisons -----------------------------------------------------------------------------------

    def eq(self, value: object) -> Filter:
        """``X eq value``; ``None`` is ``null``."""
        return _Comparison(self, "eq", _operand_text(value))

    def ne(self, value: object) -> Filter:
        """``X ne value``."""
        return _Comparison(self, "ne", _operand_text(value))

    def gt(self, value: object) -> Filter:
        """``X gt value``."""
        return _Comparison(self, "gt", _operand_text(value))

    def ge(self, value: object) -> Filter:
        """``X ge value``."""
        return _Comparison(self, "ge", _operand_text(value))

    def lt(self, value: object) -> Filter:
        """``X lt value``."""
        return _Comparison(self, "lt", _operand_text(value))

    def le(self, value: object) -> Filter:
        """``X le value``."""
        return _Comparison(self, "le", _operand_text(value))

    def __eq__(self, value: object) -> Filter:  # type: ignore[override]
        return self.eq(value)

    def __ne__(self, value: object) -> Filter:  # type: ignore[override]
        return self.ne(value)

    def __gt__(self, value: object) -> Filter:
        return self.gt(value)

    def __ge__(self, value: object) -> Filter:
        return self.ge(value)

    def __lt__(self, value: object) -> Filter:
        return self.lt(value)

    def __le__(self, value: object) -> Filter:
        return self.le(value)

    def in_(self, values: Iterable[object]) -> Filter:
        """``X in (v1,v2,...)``: each value an escaped literal; an empty list is refused (OData has no ``()``)."""
        if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
            raise TypeError(f"in_() takes a list of values, got {type(values).__name__}")
        items = [literal(value) for value in values]
        if not items:
            raise ValueError(f"{self.to_odata()}: in_() needs at least one value")
        return _Comparison(self, "in", "(" + ",".join(items) + ")")

    # --- string predicates -----------------------------------------------------------------------------

    def startswith(self, prefix: str | Operand) -> Filter:
        """``startswith(X,'prefix')``."""
        return _Call("startswith", self, _text_argument(prefix))

    def endswith(self, suffix: str | Operand) -> Filter:
        """``endswith(X,'suffix')``."""
        return _Call("endswith", self, _text_argument(suffix))

    def contains(self, part: str | Operand) -> Filter:
        """``contains(X,'part')``."""
        return _Call("contains", self, _text_argument(part))

    # --- functions of a value --------------------------------------------------------------------------

    def tolower(self) -> Operand:
        """``tolower(X)``, for case-insensitive comparison."""
        return _Function("tolower", self)

    def toupper(self) -> Operand:
        """``toupper(X)``."""
        return _Function("toupper", self)

    def trim(self) -> Operand:
        """``trim(X)``."""
        return _Function("trim", self)

    def length(self) -> Operand:
        """``length(X)``."""
        return _Function("length", self)

    def date(self) -> Operand:
        """``date(X)``: the date part of a date-time, to compare with a ``datetime.date``."""
        return _Function("date", self)

    def year(self) -> Operand:
        """``year(X)``."""
        return _Function("year", self)

    def month(self) -> Operand:
        """``month(X)``."""
        return _Function("month", self)

    def day(self) -> Operand:
        """``day(X)``."""
        return _Function("day", self)


def _text_argument(value: object) -> str:
    if isinstance(value, Operand):
        return value.to_odata()
    if not isinstance(value, str):
        raise TypeError(f"expected a str or a property, got {type(value).__name__}")
    return literal(value)


class Property(Operand):
    """A property or navigation path: ``F.Groups.Name`` is ``Groups/Name``.

    Attribute access extends the path; use ``F("Groups/date")`` for a segment that clashes with a method name
    or starts with ``_``.
    """

    __slots__ = ("_path",)
    _path: tuple[str, ...]

    def __init__(self, path: str) -> None:
        object.__setattr__(self, "_path", _split_path(path))

    def __getattr__(self, name: str) -> Property:
        # Refuse private and dunder names so that copy, pickle, IPython and friends probing for hooks get
        # the AttributeError they expect instead of a property path.
        if name.startswith("_"):
            raise AttributeError(name)
        return Property("/".join((*self._path, _check_identifier(name))))

    def to_odata(self) -> str:
        return "/".join(self._path)


class _Function(Operand):
    __slots__ = ("_argument", "_name")
    _name: str
    _argument: Operand

    def __init__(self, name: str, argument: Operand) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_argument", argument)

    def to_odata(self) -> str:
        return f"{self._name}({self._argument.to_odata()})"


class Filter(Expr):
    """A boolean expression, usable as ``$filter``. Combine with ``&`` (and), ``|`` (or), ``~`` (not)."""

    __slots__ = ()
    # A function call needs no parentheses around it when it is an operand of and/or/not.
    _atomic: ClassVar[bool] = False

    def _operand(self) -> str:
        text = self.to_odata()
        return text if self._atomic else f"({text})"

    def __and__(self, other: Filter) -> Filter:
        return _Junction("and", (self, _require_filter(other, "&")))

    def __or__(self, other: Filter) -> Filter:
        return _Junction("or", (self, _require_filter(other, "|")))

    # Only reached when the left side is not a filter ("text" & f): say how to fix it. Typed as taking a
    # Filter so that type checkers flag such mixing too.
    def __rand__(self, other: Filter) -> NoReturn:
        raise _combine_error(other, "&")

    def __ror__(self, other: Filter) -> NoReturn:
        raise _combine_error(other, "|")

    def __invert__(self) -> Filter:
        return _Not(self)


def _combine_error(value: object, operator: str) -> TypeError:
    if isinstance(value, str):
        return TypeError(f"{operator} takes filters; wrap hand-written OData text in Raw(...) (it is not escaped)")
    return TypeError(f"{operator} takes filters, got {type(value).__name__}")


def _require_filter(value: object, operator: str) -> Filter:
    if isinstance(value, Filter):
        return value
    raise _combine_error(value, operator)


class Raw(Filter):
    """Hand-written OData filter text, passed through as is: NOT escaped or checked, so never put user input in it.

    It is parenthesised when combined with other filters, so its own ``and``/``or`` stay together.
    """

    __slots__ = ("_text",)
    _text: str

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"Raw takes a str, got {type(text).__name__}")
        if not text.strip():
            raise ValueError("Raw: empty filter text")
        object.__setattr__(self, "_text", text)

    def to_odata(self) -> str:
        return self._text


class _Comparison(Filter):
    __slots__ = ("_left", "_operator", "_right")
    _left: Operand
    _operator: str
    _right: str

    def __init__(self, left: Operand, operator: str, right: str) -> None:
        object.__setattr__(self, "_left", left)
        object.__setattr__(self, "_operator", operator)
        object.__setattr__(self, "_right", right)

    def to_odata(self) -> str:
        return f"{self._left.to_odata()} {self._operator} {self._right}"


class _Call(Filter):
    __slots__ = ("_argument", "_name", "_subject")
    _atomic = True
    _name: str
    _subject: Operand
    _argument: str

    def __init__(self, name: str, subject: Operand, argument: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_subject", subject)
        object.__setattr__(self, "_argument", argument)

    def to_odata(self) -> str:
        return f"{self._name}({self._subject.to_odata()},{self._argument})"


class _Junction(Filter):
    __slots__ = ("_operator", "_parts")
    _operator: str
    _parts: tuple[Filter, ...]

    def __init__(self, operator: str, parts: tuple[Filter, ...]) -> None:
        # and/or are associative, so a & b & c is one flat "(a) and (b) and (c)".
        flat: list[Filter] = []
        for part in parts:
            if isinstance(part, _Junction) and part._operator == operator:
                flat.extend(part._parts)
            else:
                flat.append(part)
        object.__setattr__(self, "_operator", operator)
        object.__setattr__(self, "_parts", tuple(flat))

    def to_odata(self) -> str:
        return f" {self._operator} ".join(part._operand() for part in self._parts)


class _Not(Filter):
    __slots__ = ("_operand_filter",)
    _operand_filter: Filter

    def __init__(self, operand: Filter) -> None:
        object.__setattr__(self, "_operand_filter", operand)

    def to_odata(self) -> str:
        return f"not {self._operand_filter._operand()}"


class _Fields:
    """The ``F`` root: ``F.Name`` or ``F("Groups/Name")`` is a :class:`Property`."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Property:
        if name.startswith("_"):
            raise AttributeError(name)
        return Property(name)

    def __call__(self, path: str) -> Property:
        return Property(path)

    def __repr__(self) -> str:
        return "F"


F = _Fields()
"""Start a filter from a property: ``F.State == "Connected"``, ``F("Groups/Name") == "x"``."""
