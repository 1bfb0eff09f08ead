"""``python -m threecx_xapi.cli``: the same as the ``threecx-xapi`` console script."""

from threecx_xapi.cli import main

raise SystemExit(main())
