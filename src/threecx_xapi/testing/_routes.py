"""Which operation a request is: its method and parsed path matched against every path template in the registry.

Matching is by segment names first, then by the form of each segment's arguments, then by binding each literal
to its parameter. The checks are the ones a PBX makes, with the statuses it answers:

* a function's parameters must be named exactly as the document names them, all of them, in the document's
  order: anything else matches no route (404);
* a literal must have its parameter's type: strings quoted, integers and booleans bare, uuids bare; ``null``
  only where the parameter is nullable (404 otherwise);
* a date-time that is not a valid ``DateTimeOffset`` is a bad request (400), not a missing route;
* a path that exists for another method answers 405.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._urls import Arguments, ODataLiteral, Segment

__all__ = ["ParamSpec", "Route", "RouteError", "RouteMatch", "Router", "TemplateSegment"]

_INT32 = (-(2**31), 2**31 - 1)
_TEMPLATE_SEGMENT = re.compile(r"([^(]+)(?:\((.*)\))?")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


class RouteError(Exception):
    """No operation answers this request: ``status`` is 404, 405 or 400 (malformed date-time)."""

    def __init__(self, status: int, message: str = "", *, allow: Iterable[str] = ()) -> None:
        super().__init__(message or f"no route ({status})")
        self.status = status
        self.message = message
        self.allow = tuple(sorted(set(allow)))


@dataclass(frozen=True)
class ParamSpec:
    """A path parameter from the registry: wire name, OData role and literal type, nullability."""

    name: str
    kind: str  # key | alternate-key | function
    literal: str  # string | int | bool | datetime | uuid
    nullable: bool


@dataclass(frozen=True)
class TemplateSegment:
    """One segment of a path template.

    ``key`` is set for ``Users({Id})``; ``named`` for ``Users(Number={Number})`` and function calls (empty for
    ``Pbx.Func()``); both unset (``named is None``) for a plain ``Users``.
    """

    name: str
    key: ParamSpec | None = None
    named: tuple[ParamSpec, ...] | None = None


@dataclass(frozen=True)
class Route:
    """An operation of the registry with its compiled path template."""

    operation: Mapping[str, Any] = field(repr=False)
    segments: tuple[TemplateSegment, ...]

    @property
    def operation_id(self) -> str:
        return str(self.operation["operation_id"])

    @property
    def method(self) -> str:
        return str(self.operation["method"])


@dataclass(frozen=True)
class RouteMatch:
    """A route and its path arguments, typed (``int``, ``str``, ``bool``, aware ``datetime``, ``UUID``, None)."""

    route: Route
    args: dict[str, object]


class _BindError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Router:
    """Every operation of the registry, indexed by the segment names of its path."""

    def __init__(self, operations: Iterable[Mapping[str, Any]]) -> None:
        self._by_names: dict[tuple[str, ...], list[Route]] = {}
        self.routes: list[Route] = []
        for operation in operations:
            route = Route(operation, compile_template(operation))
            self.routes.append(route)
            self._by_names.setdefault(tuple(s.name for s in route.segments), []).append(route)

    def match(self, method: str, segments: tuple[Segment, ...]) -> RouteMatch:
        """The operation ``method`` + ``segments`` invokes, or :class:`RouteError`."""
        candidates = self._by_names.get(tuple(s.name for s in segments), [])
        bad_request: _BindError | None = None
        other_methods: list[str] = []
        this_method = False
        for route in candidates:
            if not _same_shape(route.segments, segments):
                continue
            if route.method != method:
                other_methods.append(route.method)
                continue
            this_method = True
            try:
                return RouteMatch(route, _bind(route.segments, segments))
            except _BindError as exc:
                if exc.status == 400 and bad_request is None:
                    bad_request = exc
        if bad_request is not None:
            raise RouteError(400, str(bad_request))
        if other_methods and not this_method:
            raise RouteError(405, allow=other_methods)
        raise RouteError(404)


def compile_template(operation: Mapping[str, Any]) -> tuple[TemplateSegment, ...]:
    """``/Users({Id})/Pbx.Func(a={a})`` -> segments with the registry's parameter records attached."""
    params = {
        p["name"]: ParamSpec(p["name"], p["kind"], p.get("literal") or "string", bool(p.get("nullable")))
        for p in operation["parameters"]
        if p["location"] == "path"
    }
    segments: list[TemplateSegment] = []
    for part in str(operation["path"]).strip("/").split("/"):
        match = _TEMPLATE_SEGMENT.fullmatch(part)
        if match is None:  # pragma: no cover - the registry's templates are generated
            raise ValueError(f"unreadable path template segment {part!r}")
        name, inner = match.group(1), match.group(2)
        if inner is None:
            segments.append(TemplateSegment(name))
        elif not inner:
            segments.append(TemplateSegment(name, named=()))
        elif "=" not in inner:
            segments.append(TemplateSegment(name, key=params[_placeholder(inner)]))
        else:
            named = []
            for pair in inner.split(","):
                _, _, placeholder = pair.partition("=")
                named.append(params[_placeholder(placeholder)])
            segments.append(TemplateSegment(name, named=tuple(named)))
    return tuple(segments)


def _placeholder(text: str) -> str:
    match = _PLACEHOLDER.fullmatch(text.strip())
    if match is None:  # pragma: no cover
        raise ValueError(f"not a placeholder: {text!r}")
    return match.group(1)


def _same_shape(template: tuple[TemplateSegment, ...], segments: tuple[Segment, ...]) -> bool:
    """Same kind of parentheses in every segment, and for named arguments the same names in the same order."""
    for want, got in zip(template, segments, strict=True):
        args = got.arguments
        if want.key is not None:
            if args is None:
                return False
            # OData also allows the key by name: Users(Id=5).
            if not (len(args.positional) == 1 or (len(args.named) == 1 and args.named[0][0] == want.key.name)):
                return False
        elif want.named is None:
            if args is not None:
                return False
        else:
            if args is None or args.positional:
                return False
            if tuple(name for name, _ in args.named) != tuple(p.name for p in want.named):
                return False
    return True


def _bind(template: tuple[TemplateSegment, ...], segments: tuple[Segment, ...]) -> dict[str, object]:
    bound: dict[str, object] = {}
    for want, got in zip(template, segments, strict=True):
        args = got.arguments or Arguments()
        if want.key is not None:
            literal = args.positional[0] if args.positional else args.named[0][1]
            bound[want.key.name] = bind_literal(want.key, literal)
        elif want.named:
            for spec, (_, literal) in zip(want.named, args.named, strict=True):
                bound[spec.name] = bind_literal(spec, literal)
    return bound


def bind_literal(spec: ParamSpec, literal: ODataLiteral) -> object:
    """The typed value of ``literal`` for parameter ``spec``, or a 404/400 :class:`_BindError`."""
    if literal.kind == "null":
        if spec.nullable:
            return None
        raise _BindError(404, f"{spec.name}: null is not allowed")
    kind = spec.literal
    if kind == "string":
        if literal.kind == "string":
            return literal.value
        raise _BindError(404, f"{spec.name}: a string must be single-quoted, got {literal.text}")
    if kind == "int":
        if literal.kind == "int" and isinstance(literal.value, int) and _INT32[0] <= literal.value <= _INT32[1]:
            return literal.value
        raise _BindError(404, f"{spec.name}: expected an Edm.Int32 literal, got {literal.text}")
    if kind == "bool":
        if literal.kind == "bool":
            return literal.value
        raise _BindError(404, f"{spec.name}: expected true or false, got {literal.text}")
    if kind == "uuid":
        if literal.kind == "uuid" and isinstance(literal.value, uuid.UUID):
            return literal.value
        raise _BindError(404, f"{spec.name}: expected a bare Edm.Guid, got {literal.text}")
    if kind == "datetime":
        if literal.kind == "datetime" and isinstance(literal.value, datetime):
            return literal.value
        if literal.kind == "string":
            raise _BindError(404, f"{spec.name}: a date-time is not quoted, got {literal.text}")
        raise _BindError(
            400,
            f"The query specified in the URI is not valid. Cannot convert '{literal.text}' to Edm.DateTimeOffset "
            f"for parameter '{spec.name}'.",
        )
    # A literal type this router does not know (none in the registry today): take it as written.
    return literal.value
