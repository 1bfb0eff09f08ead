"""``threecx-xapi``: every XAPI operation from a shell (``pip install "threecx-xapi[cli]"``).

    threecx-xapi users list-user --top 5 --format table
    threecx-xapi users get-user --id 29
    threecx-xapi api GET '/Users(29)'

Commands are built from the generated operation registry on demand, so a regenerated client has a matching
command line with no hand edits. This module imports nothing heavy: ``main`` first checks that the extra is
installed and says how to install it when it is not.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

__all__ = ["INSTALL_HINT", "main"]

INSTALL_HINT = 'the command line needs the [cli] extra: pip install "threecx-xapi[cli]"'
_EXTRA = ("click", "rich", "jmespath", "yaml")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code is returned (and used by the console script)."""
    missing = [name for name in _EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        print(f"threecx-xapi: {INSTALL_HINT} (missing: {', '.join(missing)})", file=sys.stderr)
        return 2
    from ._app import run

    return run(argv)
