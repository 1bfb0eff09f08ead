"""Where a warning should point: the user's line, not ours, however deep in the SDK it is raised."""

from __future__ import annotations

import sys

__all__ = ["user_stacklevel"]

_OURS = ("threecx_xapi.", "threecx_xapi_client.")


def user_stacklevel() -> int:
    """``warnings.warn``'s ``stacklevel`` for a warning raised by our caller: the first frame outside the SDK.

    Counted from the caller (1), past every frame of ``threecx_xapi`` and the generated package, so a warning
    from a paged call's third page points at the user's ``for`` loop and one from a resource method at the
    user's call.
    """
    level, frame = 1, sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(_OURS):
        frame, level = frame.f_back, level + 1
    return level
