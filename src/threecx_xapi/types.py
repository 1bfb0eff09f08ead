"""Every model and enum of the XAPI document, by its name: ``from threecx_xapi.types import User, QueueStatusType``.

The classes are generated (``threecx_xapi_client.models``) and imported on first use, so importing this
module costs nothing until a name is used; type checkers and IDEs see the real classes.

A response model's fields read ``T | None``: ``None`` both when the PBX sent null and when it did not send the
field; ``model.fields_set`` says which fields were sent. The document's non-nullable ``Id`` keys read as
``T``. A model built by the caller (``User(first_name="Ada")``) sends exactly the fields it was given.
``repr()`` hides fields that hold secrets (passwords, PINs, keys) as ``'***'``; the values stay readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._models import Model

if TYPE_CHECKING:
    from threecx_xapi_client.models import *  # noqa: F403


def __getattr__(name: str) -> Any:
    import threecx_xapi_client.models as models  # on first use: 745 modules

    if name not in models.__all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(models, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    import threecx_xapi_client.models as models

    return sorted({*globals(), *models.__all__})


__all__ = ["Model"]  # and every name of threecx_xapi_client.models.__all__, resolved by __getattr__
