"""Operations by id: the registry record and, on first use, the generated endpoint module."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import Any

from threecx_xapi_client import registry

__all__ = ["Operation", "operation"]


class Operation:
    """One XAPI operation: what the registry says about it and the module that builds and parses its requests."""

    __slots__ = ("_module", "record")

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self._module: ModuleType | None = None

    @property
    def id(self) -> str:
        return str(self.record["operation_id"])

    @property
    def method(self) -> str:
        return str(self.record["method"])

    @property
    def module(self) -> ModuleType:
        """The generated endpoint module, imported on first use."""
        if self._module is None:
            self._module = importlib.import_module(self.record["module"])
        return self._module

    def __repr__(self) -> str:
        return f"Operation({self.id!r})"


@cache
def operation(operation_id: str) -> Operation:
    return Operation(registry.operation(operation_id))
