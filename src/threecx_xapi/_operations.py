"""Operations by id: the registry record and, on first use, the generated endpoint module."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from threecx_xapi_client import registry

__all__ = ["Operation", "operation"]


@dataclass(frozen=True)
class Operation:
    """One XAPI operation: what the registry says about it and the module that builds and parses its requests."""

    record: dict[str, Any]
    _module: list[ModuleType] = field(default_factory=list, repr=False, compare=False)

    @property
    def id(self) -> str:
        return str(self.record["operation_id"])

    @property
    def method(self) -> str:
        return str(self.record["method"])

    @property
    def module(self) -> ModuleType:
        if not self._module:
            self._module.append(importlib.import_module(self.record["module"]))
        return self._module[0]


@cache
def operation(operation_id: str) -> Operation:
    return Operation(registry.operation(operation_id))
