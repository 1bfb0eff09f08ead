"""Release tooling: ``python -m tools.build`` (make build) and ``python -m tools.publish`` (make publish).

Kept out of the distributed packages on purpose: these run in the development checkout, never on a user's
machine, and the wheel must not grow a top-level ``tools`` package.
"""

from __future__ import annotations

__all__: list[str] = []
