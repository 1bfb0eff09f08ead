"""A faithful 3CX XAPI on loopback, for testing code that talks to a PBX: ``pip install threecx-xapi[testing]``.

    from threecx_xapi import XAPI
    from threecx_xapi.testing import XAPITestServer

    with XAPITestServer() as server:
        pbx = XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret)
        print([u.number for u in pbx.users.list_user(top=5)])

What it does, as a 3CX PBX does it:

* ``POST /connect/token`` (form fields URL-encoded or ``multipart/form-data``, or HTTP Basic for
  ``customer-portal``; any other body is the OAuth 400) issues HS256 JWTs with one live token per principal: a
  new token revokes the previous one. ``expires_in`` in seconds or, like builds before 20.0.9, in minutes. Bad
  credentials answer 401 with the OAuth error body. Each principal has a role (``add_client``); a lesser one
  (``role="admin"``) gets 403 on call history, recordings, backups and the other owner-only areas.
* Every operation of the generated registry under ``/xapi/v1``, found by parsing the OData URL strictly: key and
  alternate-key literals, function parameters named in the document's order with the right quoting (404
  otherwise, 400 for a malformed date-time), ``null`` only where nullable.
* ``$filter`` (a real OData parser, evaluated in memory, bounded in size and regex time), ``$orderby``,
  ``$top``/``$skip`` with per-set caps (400 with ASP.NET's message), ``$count``, ``$select``, ``$expand`` of
  navigation properties with nested options, ``$search`` with quoted phrases; a repeated option is a 400.
* Stateful entity sets seeded with a realistic office (100 users, 250 contacts, groups, queues, ring groups,
  peers, trunks, parkings, active calls, backups, call history; ``call_log_rows`` call-log rows over March
  2026) and every other entity set and singleton from the schemas: list, get by key or alternate key, create
  (201, with the defaults a PBX fills in), PATCH (204, arrays replaced whole, ``Id`` and annotations ignored),
  DELETE. DN-bearing sets share one numbering plan: next free numbers, duplicates refused, ``Init*`` proposals.
* Every other operation answers deterministic, schema-valid data; downloads answer files (CSV, WAV, ZIP) with
  an RFC 6266 ``Content-Disposition``.
* Request bodies are validated against the schemas (400 naming the field); every error below 500 with a body
  is an OData error; null and zero keys are left out of answers (``omit_empty``); ``X-3CX-Version`` on every
  response.
* Faults on demand through ``server.faults``: latency (also a default, ``latency=``), one-off delays, statuses
  (429 with ``Retry-After``, 503), connection resets mid-body, malformed JSON, token expiry, ``$top`` caps. They
  hit API requests; token requests only when asked (``token=True``).
* Limits: bodies over ``max_body_size`` answer 413; the request log keeps the newest ``request_log_size``
  requests, without secrets in any form.

``server.asgi_app`` serves in-process (``httpx.ASGITransport``, or :class:`SyncASGITransport` for sync httpx);
``server.start()`` (or ``with``) serves on a free port with uvicorn; ``server.xapi()`` / ``server.async_xapi()``
give an SDK client for either. The pytest plugin
``threecx_xapi.testing.pytest_plugin`` gives ``xapi_server`` and ``xapi_client`` fixtures;
``python -m threecx_xapi.testing`` serves from the command line.
"""

from __future__ import annotations

from ._app import InjectedReset, XAPIApp
from ._faults import Fault, Faults
from ._log import RecordedRequest, RequestLog
from ._query import top_cap_message
from ._server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOP_CAPS, XAPITestServer
from ._store import EntitySet, State
from ._transport import SyncASGITransport

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_TOP_CAPS",
    "EntitySet",
    "Fault",
    "Faults",
    "InjectedReset",
    "RecordedRequest",
    "RequestLog",
    "State",
    "SyncASGITransport",
    "XAPIApp",
    "XAPITestServer",
    "top_cap_message",
]
