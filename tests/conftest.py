"""Settings for the whole suite."""

from __future__ import annotations

from hypothesis import settings

# Timing belongs in `make bench`: on a busy 2-core CI machine a single example can take longer than
# hypothesis's default 200 ms deadline without anything being wrong.
settings.register_profile("threecx-xapi", deadline=None)
settings.load_profile("threecx-xapi")
