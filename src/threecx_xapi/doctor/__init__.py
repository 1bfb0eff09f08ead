"""``pbx.doctor()``: why does my integration not work? Each common cause checked, with a one-line fix.

    from threecx_xapi import XAPI

    with XAPI("https://pbx.example.com:5001", client_id="...", client_secret="...") as pbx:
        report = pbx.doctor()              # or areas=["users", "call_history"]; AsyncXAPI: await pbx.doctor()
        print(report)                      # a line per check: status, what was seen, the fix
        if not report.ok:
            for check in report.failed:
                print(check.name, check.summary, check.fix)

The checks, in order: ``resolve`` (the host's name), ``connect`` (TCP to the port: 443 hosted, 5001
self-hosted), ``tls`` (handshake, certificate trust, expiry, host name), ``api`` (the XAPI answers a GET without
a token), ``token`` (the token request), ``clock`` (skew against the new token's ``iat``, else the ``Date``
header), ``version`` (``X-3CX-Version`` against the XAPI this package was generated for), ``access.<area>`` for
each area of :data:`AREAS` (a read-only probe; a 403 says which role or restriction to fix) and ``token-kept``
(no other process revoked the token meanwhile). Each is ``ok``, ``warn``, ``fail`` or ``skip``; only reads are
sent, and no secret or token appears in the report.
"""

from ._probes import AREAS, PROBES, Probe
from ._report import FAIL, OK, SKIP, STATUSES, WARN, Check, DoctorReport, Status
from ._run import DEFAULT_DOCTOR_TIMEOUT

__all__ = [
    "AREAS",
    "DEFAULT_DOCTOR_TIMEOUT",
    "FAIL",
    "OK",
    "PROBES",
    "SKIP",
    "STATUSES",
    "WARN",
    "Check",
    "DoctorReport",
    "Probe",
    "Status",
]
