"""pytest configuration for the generator tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes several seconds; still runs by default (deselect with -m 'not slow')"
    )
