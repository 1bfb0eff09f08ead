"""The base of every generated model: reading JSON objects, writing them back, and what a model shows.

A model keeps the fields that were set (by the PBX in a response, or by the caller) in its instance
``__dict__`` and nothing else, so a field that was not set reads its class default (``None``) and
``fields_set`` is the set of keys of that dict. ``to_dict()`` writes back exactly those fields, an explicit
``None`` as ``null``: a model built for a PATCH sends what the caller gave, nothing more.

Generated models declare their fields as class annotations with a ``None`` default (``entity_key()`` for the
document's non-nullable ``Id`` keys), the wire name of each field, and, for the fields that are not plain
JSON values (enums, date-times, nested models, arrays of those), a parser. Parsing is one pass over the
JSON object in C (``dict(zip(map(...)))``) plus one call per such field that holds a value.

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
    "entity_key",
    "enum_of",
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


class _EntityKey:
    """The class-level default of an entity key: reading it on an instance that has none says why."""

    __slots__ = ("name",)

    def __init__(self) -> None:
        self.name = "?"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        raise AttributeError(
            f"{type(instance).__name__}.{self.name} was not sent by the PBX (left out by select=?) and was not set"
        )

    def __repr__(self) -> str:
        return "<entity key>"


def entity_key() -> Any:
    """The default of a key the document declares non-nullable: typed ``T``, not ``T | None``.

    The PBX sends the key of every entity it returns (unless ``select=`` leaves it out), so ``created.id``
    is an ``int`` that can be passed on to ``update_user(id, ...)``. Reading a key that was not sent raises
    ``AttributeError`` naming it rather than handing ``None`` to code typed for an ``int``.
    """
    return _EntityKey()


@dataclass_transform(kw_only_default=True, eq_default=True)
class Model:
    """A JSON object of the XAPI document: ``Model.from_dict(mapping)`` and ``model.to_dict()``."""

    __slots__ = ("__dict__", "_additional")

    # Filled in by each generated model (plain class attributes, not fields).
    _wire_names: ClassVar[Mapping[str, str]] = {}  # wire name -> Python name
    _secret_fields: ClassVar[frozenset[str]] = frozenset()  # Python names whose values repr() hides
    _required: ClassVar[tuple[str, ...]] = ()  # wire names a valid object always has
    # Derived once per class.
    _python_names: ClassVar[Mapping[str, str]] = {}  # Python name -> wire name
    _parsers: ClassVar[Parsers | None] = None
    _last_keys: ClassVar[tuple[str, ...]] = ()  # the keys of the last object read, in order
    _last_names: ClassVar[tuple[str, ...]] = ()  # their Python names

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._python_names = {python: wire for wire, python in cls._wire_names.items()}
        cls._parsers = None

    @staticmethod
    def _load_parsers() -> Parsers:
        """``(python name, parser)`` for each field whose JSON value needs converting; generated per model."""
        return ()

    def __init__(self, **fields: Any) -> None:
        names = self._python_names
        for name in fields:
            if name not in names:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}")
        for wire in self._required:
            if self._wire_names[wire] not in fields:
                raise TypeError(f"{type(self).__name__}() missing required keyword argument {self._wire_names[wire]!r}")
        _set(self, "__dict__", fields)

    # --- reading -------------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """The model for a JSON object; unknown keys are kept in ``additional_properties``.

        Raises ``TypeError``/``ValueError`` naming the field when a value has the wrong shape (an object
        where an array belongs, a string where an object belongs).
        """
        if type(src_dict) is not dict:
            if not isinstance(src_dict, Mapping):
                raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(src_dict).__name__}")
            src_dict = dict(src_dict)
        extra: dict[str, Any] | None = None
        keys = tuple(src_dict)
        if keys == cls._last_keys:  # the PBX sends its keys in one order: rename them by position
            values = dict(zip(cls._last_names, src_dict.values(), strict=True))
        else:
            try:
                names = tuple(map(cls._wire_names.__getitem__, keys))
            except KeyError:
                values, extra = cls._split_unknown(src_dict)
            else:
                values = dict(zip(names, src_dict.values(), strict=True))
                cls._last_keys, cls._last_names = keys, names
        if cls._required:
            cls._check_required(src_dict)
        parsers = cls._parsers
        if parsers is None:
            parsers = cls._parsers = cls._load_parsers()
        name = ""
        try:
            for name, parse in parsers:
                value = values.get(name)
                if value is not None:
                    values[name] = parse(value)
        except (TypeError, ValueError) as exc:
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(f"{cls.__name__}.{cls._python_names[name]}: {exc}") from exc
        self = _new(cls)
        _set(self, "__dict__", values)
        if extra:
            _set(self, "_additional", extra)
        return self

    @classmethod
    def _split_unknown(cls, src: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        names = cls._wire_names
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in src.items():
            python = names.get(key)
            if python is None:
                extra[key] = value
            else:
                values[python] = value
        return values, extra

    @classmethod
    def _check_required(cls, src: Mapping[str, Any]) -> None:
        missing = [wire for wire in cls._required if wire not in src]
        if missing:
            raise TypeError(f"{cls.__name__}: required key(s) missing: {', '.join(missing)}")

    # --- what was set -------------------------------------------------------------------------------------

    @property
    def fields_set(self) -> frozenset[str]:
        """The Python names of the fields that were set: sent by the PBX, or given by the caller."""
        return frozenset(self.__dict__)

    @property
    def additional_properties(self) -> dict[str, Any]:
        """Keys this client does not know (a newer PBX sent them), by wire name; sent back by ``to_dict()``."""
        extra: dict[str, Any] | None = getattr(self, "_additional", None)
        if extra is None:
            extra = {}
            _set(self, "_additional", extra)
        return extra

    @additional_properties.setter
    def additional_properties(self, value: dict[str, Any]) -> None:
        _set(self, "_additional", dict(value))

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties)

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

    if not TYPE_CHECKING:  # declared, it would tell type checkers that any attribute may be set

        def __setattr__(self, name: str, value: Any) -> None:
            if name not in self._python_names and not name.startswith("_"):
                raise AttributeError(f"{type(self).__name__} has no field {name!r}")
            _set(self, name, value)

    # --- writing ------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the fields that were set, by wire name (``None`` as null), then unknown keys."""
        wire = self._python_names
        out = {wire[name]: to_json(value) for name, value in self.__dict__.items()}
        extra = getattr(self, "_additional", None)
        if extra:
            for key, value in extra.items():
                out.setdefault(key, to_json(value))
        return out

    # --- comparing and showing ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Model)
        mine, theirs = getattr(self, "_additional", None) or {}, getattr(other, "_additional", None) or {}
        return self.__dict__ == other.__dict__ and mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        """``User(id=1, number='100', auth_password='***')``: the fields that were set, secrets hidden."""
        secret = self._secret_fields
        shown = [
            f"{name}={SECRET_MASK!r}" if name in secret and value is not None else f"{name}={value!r}"
            for name, value in self.__dict__.items()
        ]
        extra = getattr(self, "_additional", None)
        if extra:  # values of keys this client does not know are not vetted for secrets: only their names
            shown.append(f"additional_keys={list(extra)!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), dict(self.__dict__), getattr(self, "_additional", None))


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


def _rebuild(cls: type[_M], fields: dict[str, Any], additional: dict[str, Any] | None) -> _M:
    self = _new(cls)
    _set(self, "__dict__", fields)
    if additional:
        _set(self, "_additional", additional)
    return self
