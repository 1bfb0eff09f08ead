"""Every ``XAPI`` a hardening test makes is closed after it, so no pooled socket outlives its test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from threecx_xapi import XAPI
from threecx_xapi._token_cache import forget_all


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No token from another test in the process cache; every sync client closed at the end."""
    opened: list[XAPI] = []
    original = XAPI.__init__

    def tracked(self: XAPI, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(XAPI, "__init__", tracked)
    forget_all()
    yield
    forget_all()
    for client in opened:
        client.close()
