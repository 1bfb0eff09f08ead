"""``python -m tests.contract``: the contract run (see the package docstring)."""

from __future__ import annotations

from .runner import main

raise SystemExit(main())
