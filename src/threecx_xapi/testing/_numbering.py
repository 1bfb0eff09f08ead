"""One numbering plan for every DN-bearing entity set, as on a PBX.

Users, groups, queues, ring groups, IVRs (``Receptionists``), fax extensions, parking places, trunks, service
principals and call flow apps all take their ``Number`` from the same plan: a number belongs to one of them
at most. Each set has the form its numbers take (``100`` for users, ``GRP0000`` for groups, ``SP0`` for
parking places) and where a search for a free one starts; the *next free number* of a set is the first number
of its form, from its start, that no entity of any set holds.

Numbers compare as text, case-insensitively (``sp0`` is ``SP0``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

__all__ = ["PEER_TYPES", "PLAN", "NumberForm", "next_free", "normal_number"]


@dataclass(frozen=True)
class NumberForm:
    """Numbers ``<prefix><n>``, ``n`` from ``start`` up, zero-padded to ``width`` digits."""

    start: int
    prefix: str = ""
    width: int = 0

    def format(self, n: int) -> str:
        return f"{self.prefix}{n:0{self.width}d}"


PLAN: Mapping[str, NumberForm] = {
    "Users": NumberForm(100),
    "Groups": NumberForm(0, "GRP", 4),
    "CallFlowApps": NumberForm(500),
    "Receptionists": NumberForm(600),
    "RingGroups": NumberForm(700),
    "Queues": NumberForm(800),
    "Fax": NumberForm(900),
    "ServicePrincipals": NumberForm(950),
    "Parkings": NumberForm(0, "SP"),
    "Trunks": NumberForm(10000),
}
"""Entity set -> the form of its numbers. Every set named here shares one plan."""

PEER_TYPES: Mapping[str, str] = {
    "Users": "Extension",
    "Groups": "Group",
    "CallFlowApps": "RoutePoint",
    "Receptionists": "IVR",
    "RingGroups": "RingGroup",
    "Queues": "Queue",
    "Fax": "Fax",
    "Parkings": "Parking",
    "Trunks": "ExternalLine",
}
"""Entity set -> the ``PeerType`` its entities have in ``/Peers``, the PBX's view of every DN."""

_SEARCH_LIMIT = 1_000_000


def normal_number(value: object) -> str | None:
    """A number as the plan compares it (None for no number)."""
    if value is None:
        return None
    text = str(value).strip()
    return text.lower() or None


def next_free(form: NumberForm, used: Collection[str] | Callable[[str], bool]) -> str:
    """The first number of ``form`` that is not ``used`` (normalised numbers, or a predicate on them)."""
    taken = used if callable(used) else used.__contains__
    for n in range(form.start, form.start + _SEARCH_LIMIT):
        candidate = form.format(n)
        if not taken(candidate.lower()):
            return candidate
    raise RuntimeError("the numbering plan is full")  # pragma: no cover - a million entities of one kind
