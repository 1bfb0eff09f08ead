"""The contract suite: every XAPI operation through ``XAPI`` and ``AsyncXAPI`` against the loopback test server.

``make contract`` (``python -m tests.contract``) starts one real :class:`~threecx_xapi.testing.XAPITestServer`,
calls each of the registry's operations once through each client with arguments valid for the server's seeded
state (:mod:`.arguments`), validates every request the server received against 3CX's original OpenAPI document
with openapi-core (:mod:`.wire`), and holds every parsed result against the generated method's declared type
(:mod:`.results`). An operation passes only if both calls succeed, all their requests validate and both results
are what the method declares. The output is one line per failed operation and, last, ``N passed, M failed``.

Unit tests check pieces; this checks the whole client, generated and hand-written, on the wire, for every
operation at once, so that a regenerated client or a new XAPI document cannot break one operation unseen.
"""
