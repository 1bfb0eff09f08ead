"""``$filter``: parsed by a real OData grammar, evaluated in memory against one record at a time.

The ``odata-query`` package parses the expression to an AST; :class:`_Evaluator` (its ``NodeVisitor``) walks
it per record with OData's null propagation (``contains(null, 'x')`` is null, and a null condition does not
match) and the type checks ASP.NET makes (``Id eq '5'`` is a 400, not an empty result). Property names are
resolved against the item schema, so unknown names fail even on an empty collection (:func:`check_filter`).
Stored date-times and durations are text on the wire; they are compared as the Edm types their schema names.

Bounded like a server people share: a filter of more than :data:`MAX_NODE_COUNT` nodes or nested deeper than
:data:`MAX_DEPTH` is a 400 before anything is evaluated (ASP.NET's ``MaxNodeCount``), chains of ``and``/``or``
are evaluated without recursion, and ``matchesPattern`` runs on the ``regex`` engine with a time budget per
request (:func:`regex_budget`), so a pathological pattern answers 400 instead of stalling everyone else (the
dispatcher also filters entity sets by regular expressions on a copy, outside the state lock).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import math
import re
import time as clock
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import regex
from odata_query import ast
from odata_query.exceptions import ODataException
from odata_query.visitor import NodeVisitor

from ._catalog import Catalog
from ._urls import parse_datetime

__all__ = [
    "MAX_DEPTH",
    "MAX_NODE_COUNT",
    "REGEX_BUDGET",
    "QueryError",
    "check_filter",
    "matches",
    "no_property",
    "parse_duration",
    "parse_filter",
    "regex_budget",
    "typed",
]

MAX_NODE_COUNT = 1000
MAX_DEPTH = 100
REGEX_BUDGET = 0.25  # seconds of matchesPattern per request
MAX_PATTERN_LENGTH = 1000
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("regex_deadline", default=None)

_EDM = {bool: "Edm.Boolean", int: "Edm.Int32", float: "Edm.Double", str: "Edm.String"}
_DURATION = re.compile(r"(-)?P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?")


class QueryError(ValueError):
    """A query option the PBX answers with 400; the message is the OData error's ``message``."""


def parse_filter(text: str) -> ast._Node:
    """The AST of a ``$filter`` expression, by ``odata-query``'s grammar; its errors become a 400."""
    from odata_query.grammar import ODataLexer, ODataParser  # ~0.2 s to import; only filters pay it

    try:
        tree: ast._Node = ODataParser().parse(ODataLexer().tokenize(text))
    except ODataException as exc:
        raise QueryError(f"Syntax error in $filter '{text}': {exc}") from None
    if tree is None:
        raise QueryError("The $filter query option requires an expression.")
    _check_size(tree)
    return tree


def _children(node: object) -> Iterator[object]:
    if isinstance(node, (list, tuple)):
        yield from node
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for item in dataclasses.fields(node):
            yield getattr(node, item.name)


def _check_size(tree: ast._Node) -> None:
    """ASP.NET's ``MaxNodeCount`` and a nesting limit, measured without recursion (``and``/``or`` chains are
    flat: they are evaluated in a loop)."""
    count = 0
    stack: list[tuple[object, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast._Node):
            count += 1
            if count > MAX_NODE_COUNT:
                raise QueryError(
                    f"The node count limit of '{MAX_NODE_COUNT}' has been exceeded. To increase the limit, set the "
                    "'MaxNodeCount' property on EnableQueryAttribute or ODataValidationSettings."
                )
            if depth > MAX_DEPTH:
                raise QueryError(f"The recursion limit of {MAX_DEPTH} for $filter has been exceeded.")
        for child in _children(node):
            same_chain = (
                isinstance(node, ast.BoolOp) and isinstance(child, ast.BoolOp) and type(child.op) is type(node.op)
            )
            stack.append((child, depth if same_chain or not isinstance(node, ast._Node) else depth + 1))


@contextlib.contextmanager
def regex_budget(seconds: float = REGEX_BUDGET) -> Iterator[None]:
    """Within the block, ``matchesPattern`` may spend ``seconds`` in total before the request is refused."""
    token = _DEADLINE.set(clock.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def matches(node: ast._Node, catalog: Catalog, schema: str | None, record: Mapping[str, Any]) -> bool:
    """Whether ``record`` (an item of ``schema``) satisfies the filter: null counts as no."""
    return _Evaluator(catalog, schema, record).visit(node) is True


def check_filter(node: ast._Node, catalog: Catalog, schema: str | None) -> None:
    """Names and types checked against ``schema`` by evaluating on an all-null record; raises :class:`QueryError`."""
    _Evaluator(catalog, schema, {}).visit(node)


def no_property(name: str, schema: str) -> str:
    return f"Could not find a property named '{name}' on type 'Pbx.{schema}'."


def parse_duration(text: str) -> timedelta | None:
    match = _DURATION.fullmatch(text)
    if match is None or text in ("P", "-P", "PT", "-PT"):
        return None
    sign, days, hours, minutes, seconds = match.groups()
    delta = timedelta(
        days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0)
    )
    return -delta if sign else delta


def typed(value: Any, descriptor: Mapping[str, Any]) -> Any:
    """A stored JSON value as the Edm type its schema says (date-times and durations are text on the wire)."""
    if not isinstance(value, str):
        return value
    fmt = descriptor.get("format")
    if fmt == "date-time":
        return parse_datetime(value) or value
    if fmt == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if fmt == "duration":
        delta = parse_duration(value)
        return value if delta is None else delta
    if fmt == "uuid":
        return value.lower()
    return value


def _edm(value: Any) -> str:
    if isinstance(value, datetime):
        return "Edm.DateTimeOffset"
    if isinstance(value, date):
        return "Edm.Date"
    if isinstance(value, timedelta):
        return "Edm.Duration"
    return _EDM.get(type(value), type(value).__name__)


def _comparable(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return True
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return True
    if isinstance(left, datetime) or isinstance(right, datetime):
        return isinstance(left, datetime) and isinstance(right, datetime)
    return type(left) is type(right)


_COMPARATORS: dict[type[ast._Comparator], tuple[str, Callable[[Any, Any], bool]]] = {
    ast.Eq: ("Equal", lambda a, b: bool(a == b)),
    ast.NotEq: ("NotEqual", lambda a, b: bool(a != b)),
    ast.Lt: ("LessThan", lambda a, b: bool(a < b)),
    ast.LtE: ("LessThanOrEqual", lambda a, b: bool(a <= b)),
    ast.Gt: ("GreaterThan", lambda a, b: bool(a > b)),
    ast.GtE: ("GreaterThanOrEqual", lambda a, b: bool(a >= b)),
}


class _Evaluator(NodeVisitor):
    """Evaluates a ``$filter`` AST against one record of ``schema``: True, False or None (null)."""

    def __init__(
        self,
        catalog: Catalog,
        schema: str | None,
        record: Mapping[str, Any],
        variables: Mapping[str, tuple[Any, Mapping[str, Any]]] | None = None,
    ) -> None:
        self.catalog = catalog
        self.schema = schema
        self.record = record
        self.variables = dict(variables or {})

    def generic_visit(self, node: ast._Node) -> Any:
        raise QueryError(f"The $filter construct {type(node).__name__} is not supported by the test server.")

    # members

    def _member(self, node: ast._Node) -> tuple[Any, Mapping[str, Any]]:
        """A property's value and its schema descriptor; unknown names are a 400."""
        if isinstance(node, ast.Identifier):
            if node.namespace:
                raise QueryError(f"Could not find a property named '{_full_name(node)}' on type 'Pbx.{self.schema}'.")
            if node.name in self.variables:
                return self.variables[node.name]
            if node.name == "$it":
                return self.record, {"ref": self.schema} if self.schema else {}
            properties = self.catalog.properties(self.schema)
            if self.schema is not None and node.name not in properties:
                raise QueryError(no_property(node.name, self.schema))
            return self.record.get(node.name), properties.get(node.name, {})
        if isinstance(node, ast.Attribute):
            owner, descriptor = self._member(node.owner)
            target, collection = self.catalog.descriptor_target(descriptor)
            if collection:
                raise QueryError(f"The property '{node.attr}' cannot be read from a collection; use any() or all().")
            properties = self.catalog.properties(target)
            if target is not None and node.attr not in properties:
                raise QueryError(no_property(node.attr, target))
            value = owner.get(node.attr) if isinstance(owner, Mapping) else None
            return value, properties.get(node.attr, {})
        raise QueryError(f"Expected a property path, got {type(node).__name__}.")

    def visit_Identifier(self, node: ast.Identifier) -> Any:
        value, descriptor = self._member(node)
        return typed(value, descriptor)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        value, descriptor = self._member(node)
        return typed(value, descriptor)

    # literals

    def visit_Null(self, node: ast.Null) -> Any:
        return None

    def visit_Integer(self, node: ast.Integer) -> Any:
        _ascii(node.val, "Edm.Int64")
        return node.py_val

    def visit_Float(self, node: ast.Float) -> Any:
        _ascii(node.val, "Edm.Double")
        value = node.py_val
        if not math.isfinite(value):
            raise QueryError(f"'{node.val}' is not a valid Edm.Double: it is out of range.")
        return value

    def visit_Boolean(self, node: ast.Boolean) -> Any:
        return node.py_val

    def visit_String(self, node: ast.String) -> Any:
        return node.py_val

    def visit_Date(self, node: ast.Date) -> Any:
        _ascii(node.val, "Edm.Date")
        try:
            return node.py_val
        except ValueError:
            raise QueryError(f"'{node.val}' is not a valid Edm.Date.") from None

    def visit_DateTime(self, node: ast.DateTime) -> Any:
        _ascii(node.val, "Edm.DateTimeOffset")
        moment = parse_datetime(node.val)
        if moment is None:
            raise QueryError(f"'{node.val}' is not a valid Edm.DateTimeOffset.")
        return moment

    def visit_Time(self, node: ast.Time) -> Any:
        _ascii(node.val, "Edm.TimeOfDay")
        try:
            return time.fromisoformat(node.val)
        except ValueError:
            raise QueryError(f"'{node.val}' is not a valid Edm.TimeOfDay.") from None

    def visit_Duration(self, node: ast.Duration) -> Any:
        _ascii(node.val, "Edm.Duration")
        delta = parse_duration(node.val)
        if delta is None:
            raise QueryError(f"'{node.val}' is not a valid Edm.Duration.")
        return delta

    def visit_GUID(self, node: ast.GUID) -> Any:
        _ascii(node.val, "Edm.Guid")
        return str(uuid.UUID(node.val))

    def visit_List(self, node: ast.List) -> Any:
        return [self.visit(item) for item in node.val]

    # operators

    def visit_Compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        right = self.visit(node.right)
        if isinstance(node.comparator, ast.In):
            if not isinstance(right, list):
                raise QueryError("The 'in' operator needs a list.")
            for item in right:
                self._check_types(left, item, "In")
            return left in right
        name, compare = _COMPARATORS[type(node.comparator)]
        self._check_types(left, right, name)
        if left is None or right is None:
            if name in ("Equal", "NotEqual"):
                return compare(left, right)
            return None
        return compare(left, right)

    @staticmethod
    def _check_types(left: Any, right: Any, operator: str) -> None:
        if not _comparable(left, right):
            raise QueryError(
                "A binary operator with incompatible types was detected. Found operand types "
                f"'{_edm(left)}' and '{_edm(right)}' for operator kind '{operator}'."
            )

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        """A chain of one operator (``a or b or c ...``) in a loop: no recursion per term."""
        operands: list[ast._Node] = []
        pending: list[ast._Node] = [node]
        while pending:
            current = pending.pop()
            if isinstance(current, ast.BoolOp) and type(current.op) is type(node.op):
                pending.extend((current.right, current.left))
            else:
                operands.append(current)
        values = [self._boolean(self.visit(operand)) for operand in operands]
        if isinstance(node.op, ast.And):
            if False in values:
                return False
            return None if None in values else True
        if True in values:
            return True
        return None if None in values else False

    @staticmethod
    def _boolean(value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        raise QueryError(f"The expression must evaluate to Edm.Boolean, got {_edm(value)}.")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            value = self._boolean(value)
            return None if value is None else not value
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, timedelta)):
            raise QueryError(f"Cannot negate a value of type {_edm(value)}.")
        return -value

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left = self.visit(node.left)
        right = self.visit(node.right)
        if left is None or right is None:
            return None
        try:
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                if isinstance(left, int) and isinstance(right, int):
                    return int(left / right)
                return left / right
            if isinstance(node.op, ast.Mod):
                if right == 0:
                    raise ZeroDivisionError
                return math.fmod(left, right) if isinstance(left, float) or isinstance(right, float) else left % right
        except ZeroDivisionError:
            raise QueryError("Division by zero in $filter.") from None
        except (OverflowError, ValueError):
            raise QueryError(f"The result of '{type(node.op).__name__}' on {_edm(left)} and {_edm(right)} is out of "
                             "range.") from None  # fmt: skip
        except TypeError:
            raise QueryError(f"Arithmetic on incompatible types {_edm(left)} and {_edm(right)}.") from None
        raise QueryError(f"Unsupported operator {type(node.op).__name__}.")  # pragma: no cover

    # functions

    def visit_Call(self, node: ast.Call) -> Any:
        name = _full_name(node.func)
        function = _FUNCTIONS.get(name)
        if function is None:
            raise QueryError(f"An unknown function with name '{name}' was found.")
        args = [self.visit(arg) for arg in node.args]
        if name not in ("concat", "now", "mindatetime", "maxdatetime") and any(a is None for a in args):
            return None  # null propagation
        try:
            return function(*args)
        except QueryError:
            raise
        except OverflowError:
            raise QueryError(f"The result of the function '{name}' is out of range.") from None
        except (TypeError, AttributeError, ValueError):
            kinds = ", ".join(_edm(a) for a in args)
            raise QueryError(f"No function signature for the function with name '{name}' matches ({kinds}).") from None

    def visit_CollectionLambda(self, node: ast.CollectionLambda) -> Any:
        owner, descriptor = self._member(node.owner)
        if descriptor.get("type") != "array":
            raise QueryError("any() and all() apply to collections only.")
        items = owner if isinstance(owner, list) else []
        item_descriptor: Mapping[str, Any] = descriptor.get("items") or {}
        if node.lambda_ is None:
            if isinstance(node.operator, ast.All):
                raise QueryError("all() needs a lambda expression.")
            return bool(items)
        lambda_ = node.lambda_
        variable = lambda_.identifier.name
        target, _ = self.catalog.descriptor_target(descriptor)

        def holds(item: Any) -> Any:
            scope = {**self.variables, variable: (item, {"ref": target} if target else item_descriptor)}
            return _Evaluator(self.catalog, self.schema, self.record, scope).visit(lambda_.expression)

        # Check names once even when the collection is empty.
        holds({} if target else None)
        results = [holds(item) is True for item in items]
        return any(results) if isinstance(node.operator, ast.Any) else all(results)


def _ascii(text: object, edm: str) -> None:
    """OData numbers and dates are ASCII digits: the grammar's ``\\d`` also takes other scripts' digits."""
    if isinstance(text, str) and not text.isascii():
        raise QueryError(f"'{text}' is not a valid {edm} literal.")


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    try:
        return regex.compile(pattern)
    except (regex.error, OverflowError, RecursionError):
        raise QueryError(f"The pattern '{pattern}' of matchesPattern is not a valid regular expression.") from None


def _matches_pattern(text: str, pattern: str) -> bool:
    """``matchesPattern`` on the ``regex`` engine: GIL released while matching, bounded by the request's budget."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise QueryError(f"The pattern of matchesPattern is longer than {MAX_PATTERN_LENGTH} characters.")
    compiled = _compiled(pattern)
    deadline = _DEADLINE.get()
    timeout = REGEX_BUDGET if deadline is None else deadline - clock.monotonic()
    try:
        if timeout <= 0:
            raise TimeoutError
        return compiled.search(text, timeout=timeout, concurrent=True) is not None
    except TimeoutError:
        raise QueryError(f"The pattern '{pattern}' of matchesPattern took too long to evaluate.") from None


def _full_name(identifier: ast.Identifier) -> str:
    return ".".join((*identifier.namespace, identifier.name))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _substring(value: Any, start: Any, length: Any = None) -> str:
    text = _text(value)
    if not isinstance(start, int):
        raise TypeError
    return text[start:] if length is None else text[start : start + int(length)]


def _moment(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError
    return value


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError
    return float(value)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": lambda s, t: _text(t) in _text(s),
    "startswith": lambda s, t: _text(s).startswith(_text(t)),
    "endswith": lambda s, t: _text(s).endswith(_text(t)),
    "tolower": lambda s: _text(s).lower(),
    "toupper": lambda s: _text(s).upper(),
    "trim": lambda s: _text(s).strip(),
    "length": lambda s: len(_text(s)),
    "indexof": lambda s, t: _text(s).find(_text(t)),
    "substring": _substring,
    "concat": lambda a, b: None if a is None or b is None else _text(a) + _text(b),
    "matchesPattern": lambda s, p: _matches_pattern(_text(s), _text(p)),
    "year": lambda d: _day(d).year,
    "month": lambda d: _day(d).month,
    "day": lambda d: _day(d).day,
    "hour": lambda d: _moment(d).hour,
    "minute": lambda d: _moment(d).minute,
    "second": lambda d: _moment(d).second,
    "date": _day,
    "time": lambda d: _moment(d).timetz().replace(tzinfo=None),
    "now": lambda: datetime.now(timezone.utc),
    "mindatetime": lambda: datetime.min.replace(tzinfo=timezone.utc),
    "maxdatetime": lambda: datetime.max.replace(tzinfo=timezone.utc),
    "round": lambda n: float(round(_number(n))),
    "floor": lambda n: float(math.floor(_number(n))),
    "ceiling": lambda n: float(math.ceil(_number(n))),
}
