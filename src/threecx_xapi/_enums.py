"""String enums that accept values this client has never seen.

3CX adds enum values in upgrades. Refusing them would break every call that returns one, so an unknown
value becomes a pseudo-member: it is an instance of the enum, compares equal to its raw string, is sent back
unchanged, and says what it is in its repr (``<UserState.UNKNOWN: 'NewState'>``).
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

__all__ = ["OpenStrEnum"]

_E = TypeVar("_E", bound="OpenStrEnum")


class OpenStrEnum(str, Enum):
    """Base of every generated string enum."""

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """False for a value the document this client was generated from did not list."""
        return self._name_ != "UNKNOWN"

    @classmethod
    def parse(cls: type[_E], value: object) -> _E:
        """``cls(value)``, with a dict lookup first: models parse thousands of these per response."""
        member = cls._value2member_map_.get(value)
        return member if member is not None else cls(value)  # type: ignore[return-value]

    @classmethod
    def _missing_(cls, value: object) -> OpenStrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member
