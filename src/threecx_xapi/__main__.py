"""``python -m threecx_xapi``: the ``threecx-xapi`` command line (needs the ``[cli]`` extra)."""

from threecx_xapi.cli import main

raise SystemExit(main())
