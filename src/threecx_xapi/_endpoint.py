"""What a generated endpoint module hands the client: the request it built, before auth and sending.

Each operation's module under ``threecx_xapi_client.api`` has a ``build(...)`` function, typed from the
document, that turns the caller's arguments into an :class:`EndpointRequest` (the OData URL with every literal
written and percent-encoded, and the body still as the caller gave it), and a ``parse(response)`` function
that turns a 2xx ``httpx.Response`` into the declared type. The client checks the body against
:class:`BodySpec`, adds auth, headers and options, sends, raises status errors and calls ``parse``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["BodyProperty", "BodySpec", "EndpointRequest"]


@dataclass(frozen=True)
class BodyProperty:
    """One top-level field of an action's parameter body: wire name, Python name, schema descriptor."""

    name: str
    python_name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class BodySpec:
    """What an operation's request body must be, for checking before anything is sent.

    ``kind`` is ``entity`` (one object, ``body=`` in the SDK, described by ``schema``) or ``parameters``
    (an OData action's parameters, keyword arguments in the SDK, one ``properties`` entry each).
    """

    kind: Literal["entity", "parameters"]
    required: bool
    schema: Mapping[str, Any]
    model: str | None = None
    content_type: str = "application/json"
    properties: tuple[BodyProperty, ...] = ()


@dataclass(frozen=True)
class EndpointRequest:
    """A request as an endpoint module builds it: method, URL below ``/xapi/v1``, and the unchecked body.

    ``body`` is the entity (a model or a mapping) for entity bodies, or a mapping of wire name to argument
    (``NOT_GIVEN`` where the caller gave none) for action parameters; ``None`` where there is no body.
    """

    method: str
    url: str
    operation_id: str
    body_spec: BodySpec | None = None
    body: object = field(default=None, repr=False)
    headers: Mapping[str, str | None] | None = None  # header parameters (If-Match); None values are left out
