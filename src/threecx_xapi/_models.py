"""The base of every generated model: reading JSON objects, writing them back, and what a model shows.

A model keeps the JSON object it was read from, by wire name, in its instance ``__dict__``: exactly the
keys that were set (by the PBX in a response, or by the caller), enums, date-times and nested models
parsed, unknown keys kept. Each field is a descriptor (``field("FirstName")``) that reads its key, so a
field that was not set and a field sent as null both read ``None``, and ``fields_set`` is the set of
fields among the keys. ``to_dict()`` writes back exactly those keys, an explicit ``None`` as ``null``: a
model built for a PATCH sends what the caller gave, nothing more.

Reading an object is a copy of the decoded dict plus one call per field that is not a plain JSON value
(the generated ``_load_parsers``): no per-key renaming, which would cost more than decoding the JSON.

This module must not import ``threecx_xapi_client`` or the client: generated models import it.
"""

from __future__ import annotations

import datetime as _dt
import enum
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
elif sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10: the decorator only informs type checkers

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda cls: cls


__all__ = [
    "SECRET_MASK",
    "Model",
    "Parse",
    "Parsers",
    "enum_of",
    "field",
    "json_array",
    "list_of",
    "one_of",
    "parse_date",
    "parse_uuid",
    "to_json",
]

SECRET_MASK = "***"

Parse = Callable[[Any], Any]
Parsers = tuple[tuple[str, Parse], ...]
_M = TypeVar("_M", bound="Model")

_new = object.__new__
_set = object.__setattr__


class _Field:
    """A model field: reads and writes the JSON object's value under its wire name.

    Missing and null both read ``None``; an entity key (``key=True``) that was not sent raises
    ``AttributeError`` instead, since it is typed ``T``, not ``T | None``.
    """

    __slots__ = ("key", "name", "wire")

    def __init__(self, wire: str, key: bool) -> None:
        self.wire = wire
        self.key = key
        self.name = wire

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        if self.key:
            try:
                return instance.__dict__[self.wire]
            except KeyError:
                raise AttributeError(
                    f"{type(instance).__name__}.{self.name} was not sent by the PBX (left out by select=?) "
                    "and was not set"
                ) from None
        return instance.__dict__.get(self.wire)

    def __set__(self, instance: object, value: Any) -> None:
        instance.__dict__[self.wire] = value

    def __delete__(self, instance: object) -> None:
        try:
            del instance.__dict__[self.wire]
        except KeyError:
            raise AttributeError(f"{type(instance).__name__}.{self.name} is not set") from None

    def __repr__(self) -> str:
        return f"field({self.wire!r}{', key=True' if self.key else ''})"


def field(wire: str, *, key: bool = False) -> Any:
    """A field of a generated model, stored under its wire name.

    ``key=True`` marks a key the document declares non-nullable (``Id``): typed ``T``, not ``T | None``.
    The PBX sends the key of every entity it returns (unless ``select=`` leaves it out), so ``created.id``
    is an ``int`` that can be passed on to ``update_user(id, ...)``; reading a key that was not sent raises
    ``AttributeError`` naming it rather than handing ``None`` to code typed for an ``int``.
    """
    return _Field(wire, key)


@dataclass_transform(kw_only_default=True, eq_default=True)
class Model:
    """A JSON object of the XAPI document: ``Model.from_dict(mapping)`` and ``model.to_dict()``.

    The instance keeps the object as received, by wire name, with enums, date-times and nested models
    parsed; keys this client does not know stay beside the fields (``additional_properties``).
    """

    # Set by each generated model (plain class attributes, not fields).
    _secret_fields: ClassVar[frozenset[str]] = frozenset()  # Python names whose values repr() hides
    _required: ClassVar[tuple[str, ...]] = ()  # wire names a valid object always has
    # Derived once per class from its fields.
    _wire_names: ClassVar[Mapping[str, str]] = {}  # wire name -> Python name
    _python_names: ClassVar[Mapping[str, str]] = {}  # Python name -> wire name
    _parsers: ClassVar[Parsers | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = [value for value in vars(cls).values() if isinstance(value, _Field)]
        cls._wire_names = {f.wire: f.name for f in fields}
        cls._python_names = {f.name: f.wire for f in fields}
        cls._parsers = None

    @staticmethod
    def _load_parsers() -> Parsers:
        """``(wire name, parser)`` for each field whose JSON value needs converting; generated per model."""
        return ()

    def __init__(self, **fields: Any) -> None:
        names = self._python_names
        try:
            values = {names[name]: value for name, value in fields.items()}
        except KeyError as exc:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {exc.args[0]!r}") from None
        for wire in self._required:
            if wire not in values:
                raise TypeError(f"{type(self).__name__}() missing required keyword argument {self._wire_names[wire]!r}")
        _set(self, "__dict__", values)

    # --- reading -------------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """The model for a JSON object; unknown keys are kept (``additional_properties``).

        Raises ``TypeError``/``ValueError`` naming the field by its wire name when a value has the wrong
        shape (an object where an array belongs, a string where an object belongs).
        """
        if not isinstance(src_dict, Mapping):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(src_dict).__name__}")
        values = dict(src_dict)  # a copy: the caller's mapping stays theirs
        if cls._required:
            cls._check_required(values)
        parsers = cls._parsers
        if parsers is None:
            parsers = cls._parsers = cls._load_parsers()
        wire = ""
        try:
            for wire, parse in parsers:
                value = values.get(wire)
                if value is not None:
                    values[wire] = parse(value)
        except (TypeError, ValueError) as exc:
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(f"{cls.__name__}.{wire}: {exc}") from exc
        self = _new(cls)
        _set(self, "__dict__", values)
        return self

    @classmethod
    def _check_required(cls, src: Mapping[str, Any]) -> None:
        missing = [wire for wire in cls._required if wire not in src]
        if missing:
            raise TypeError(f"{cls.__name__}: required key(s) missing: {', '.join(missing)}")

    # --- what was set -------------------------------------------------------------------------------------

    @property
    def fields_set(self) -> frozenset[str]:
        """The Python names of the fields that were set: sent by the PBX, or given by the caller."""
        names = self._wire_names
        return frozenset(names[wire] for wire in self.__dict__ if wire in names)

    @property
    def additional_properties(self) -> dict[str, Any]:
        """Keys this client does not know (a newer PBX sent them), by wire name; sent back by ``to_dict()``.

        A copy: change them with ``model[key] = value`` and ``del model[key]``.
        """
        names = self._wire_names
        return {key: value for key, value in self.__dict__.items() if key not in names}

    @additional_properties.setter
    def additional_properties(self, value: Mapping[str, Any]) -> None:
        for key in list(self.additional_properties):
            del self.__dict__[key]
        for key, item in value.items():
            self[key] = item

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties)

    def _unknown(self, key: str) -> str:
        if key in self._wire_names:
            raise KeyError(f"{key!r} is a field of {type(self).__name__}: use .{self._wire_names[key]}")
        return key

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[self._unknown(key)]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__[self._unknown(key)] = value

    def __delitem__(self, key: str) -> None:
        del self.__dict__[self._unknown(key)]

    def __contains__(self, key: str) -> bool:
        return key not in self._wire_names and key in self.__dict__

    if not TYPE_CHECKING:  # declared, it would tell type checkers that any attribute may be set

        def __setattr__(self, name: str, value: Any) -> None:
            if name not in self._python_names:
                raise AttributeError(f"{type(self).__name__} has no field {name!r}")
            _set(self, name, value)

    # --- writing ------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the fields that were set (``None`` as null) and unknown keys, by wire name."""
        return {key: to_json(value) for key, value in self.__dict__.items()}

    # --- comparing and showing ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        """``User(id=1, number='100', auth_password='***')``: the fields that were set, secrets hidden."""
        names, secret = self._wire_names, self._secret_fields
        shown, unknown = [], []
        for wire, value in self.__dict__.items():
            name = names.get(wire)
            if name is None:  # values of keys this client does not know are not vetted for secrets
                unknown.append(wire)
            elif name in secret and value is not None:
                shown.append(f"{name}={SECRET_MASK!r}")
            else:
                shown.append(f"{name}={value!r}")
        if unknown:
            shown.append(f"additional_keys={unknown!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), dict(self.__dict__))


# --- parsers for the generated models -------------------------------------------------------------------------


def json_array(value: Any) -> list[Any]:
    """An array of plain JSON values, as sent."""
    if type(value) is not list:
        raise TypeError(f"expected a JSON array, got {type(value).__name__}")
    return value


def list_of(parse: Parse) -> Parse:
    """An array whose items are parsed by ``parse``."""

    def parse_list(value: Any) -> list[Any]:
        if type(value) is not list:
            raise TypeError(f"expected a JSON array, got {type(value).__name__}")
        return list(map(parse, value))

    return parse_list


class _EnumMembers(dict[Any, Any]):
    """Value -> member of one enum; a value the enum does not list goes to the enum (which keeps it)."""

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        super().__init__(enum_class._value2member_map_)
        self.enum_class = enum_class

    def __missing__(self, value: Any) -> Any:
        return self.enum_class(value)  # OpenStrEnum: a pseudo-member for an unknown string; not cached


_enum_parsers: dict[type[enum.Enum], Parse] = {}


def enum_of(enum_class: type[enum.Enum]) -> Parse:
    """The parser of an enum's JSON value: a dict lookup in C for the values the document lists."""
    parse = _enum_parsers.get(enum_class)
    if parse is None:
        parse = _enum_parsers[enum_class] = _EnumMembers(enum_class).__getitem__
    return parse


def one_of(*choices: tuple[type | tuple[type, ...], Parse], keep_other: bool) -> Parse:
    """A value of one of several shapes: the first ``(json_type, parse)`` that accepts it wins.

    With ``keep_other`` a value no choice accepts is kept as sent (the union has a plain JSON type).
    """

    def parse_union(value: Any) -> Any:
        for json_type, parse in choices:
            if isinstance(value, json_type):
                try:
                    return parse(value)
                except (TypeError, ValueError, AttributeError, KeyError):
                    continue
        if keep_other:
            return value
        raise TypeError(f"cannot parse {type(value).__name__} value")

    return parse_union


def parse_date(value: Any) -> _dt.date:
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {type(value).__name__}")
    return _dt.date.fromisoformat(value)


def parse_uuid(value: Any) -> UUID:
    if not isinstance(value, str):
        raise TypeError(f"expected a UUID string, got {type(value).__name__}")
    return UUID(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_json(value: Any) -> Any:
    """A field's value as JSON: models as objects, enums as their values, date-times in ISO 8601."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _rebuild(cls: type[_M], values: dict[str, Any]) -> _M:
    self = _new(cls)
    _set(self, "__dict__", values)
    return self


# --- strict response validation ------------------------------------------------------------------------------

_SCALARS: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "None": (type(None),),
    "Any": (object,),
}


def _members(annotation: str) -> list[str]:
    """``list[str] | None`` -> ``["list[str]", "None"]`` (only top-level ``|`` splits)."""
    members, depth, start = [], 0, 0
    for index, char in enumerate(annotation + "|"):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "|" and depth == 0:
            members.append(annotation[start:index].strip())
            start = index + 1
    return members


_PLAIN_FIELD_TYPES: dict[type[Model], dict[str, tuple[type, ...]]] = {}


def _plain_field_types(cls: type[Model]) -> dict[str, tuple[type, ...]]:
    """Wire name -> the JSON types a plain field accepts; fields with a parser (models, enums, dates) are not here."""
    known = _PLAIN_FIELD_TYPES.get(cls)
    if known is not None:
        return known
    annotations: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    parsed = {wire for wire, _ in cls._load_parsers()}
    accepted: dict[str, tuple[type, ...]] = {}
    for wire, name in cls._wire_names.items():
        annotation = annotations.get(name)
        if wire in parsed or not isinstance(annotation, str):
            continue
        types: list[type] = []
        for member in _members(annotation):
            if member in _SCALARS:
                types += _SCALARS[member]
            elif member.startswith("list["):
                types.append(list)
            elif member.startswith("dict["):
                types.append(dict)
            else:
                break
        else:
            accepted[wire] = tuple(types)
    _PLAIN_FIELD_TYPES[cls] = accepted
    return accepted


def check_types(value: object, path: str) -> None:
    """Raise ``TypeError`` naming the first field whose JSON value is not of its declared type.

    A model keeps a wrong scalar (``"Id": "abc"``) by default, as the PBX sent it; ``strict_response_validation``
    runs this over every answer, nested models and lists included.
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_types(item, f"{path}[{index}]")
        return
    if not isinstance(value, Model):
        return
    data = value.__dict__
    for wire, types in _plain_field_types(type(value)).items():
        if wire in data:
            item = data[wire]
            if not isinstance(item, types) or (isinstance(item, bool) and bool not in types and object not in types):
                expected = " or ".join(t.__name__ for t in types)
                raise TypeError(f"{path}.{wire}: expected {expected}, got {type(item).__name__} {item!r:.40}")
    for wire, item in data.items():
        if isinstance(item, (Model, list)):
            check_types(item, f"{path}.{wire}")
