"""Settings for the whole suite."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Timing belongs in `make bench`: on a busy 2-core CI machine a single example can take longer than
# hypothesis's default 200 ms deadline without anything being wrong.
settings.register_profile("threecx-xapi", deadline=None)
settings.load_profile("threecx-xapi")


# End-to-end tests (generation from the real documents, builds, subprocesses) that `make test-fast` leaves out;
# `make test` runs everything.
SLOW_MODULES = frozenset(
    {
        "tests/cli/test_every_operation.py",
        "tests/cli/test_profiles.py",
        "tests/cli/test_shell.py",
        "tests/export/test_large.py",
        "tests/doctor/test_shell.py",
        "tests/generator/test_diff.py",
        "tests/generator/test_older_documents.py",
        "tests/generator/test_pipeline.py",
        "tests/generator/test_progress.py",
        "tests/generator/test_regenerate.py",
        "tests/generator/test_yaml12.py",
        "tests/generated/test_models.py",
        "tests/hardening/test_tokens.py",
        "tests/publish/test_build.py",
        "tests/provision/test_scale.py",
        "tests/publish/test_publish.py",
        "tests/testing/test_server.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        if item.path.relative_to(root).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
