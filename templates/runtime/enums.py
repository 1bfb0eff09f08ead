"""String enums that accept values this client has never seen.

3CX adds enum values in upgrades. Refusing them would break every call that returns one, so an unknown
value becomes a pseudo-member: it is an instance of the enum, compares equal to its raw string, is sent back
unchanged, and says what it is in its repr (``<UserState.UNKNOWN: 'NewState'>``).
"""

from __future__ import annotations

from enum import Enum

__all__ = ["OpenStrEnum"]


class OpenStrEnum(str, Enum):
    """Base of every generated string enum."""

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """False for a value the document this client was generated from did not list."""
        return self._name_ != "UNKNOWN"

    @classmethod
    def _missing_(cls, value: object) -> OpenStrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member
