"""Answers read from the stored entity sets: peers by number, and exports that honour their query options."""

from __future__ import annotations

import csv
import io

from threecx_xapi import File
from threecx_xapi.testing import XAPITestServer


def test_peers_by_numbers_are_the_stored_peers() -> None:
    server = XAPITestServer()
    pbx = server.xapi()
    answer = pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [100, 101]})
    peers = answer.value
    assert peers is not None
    assert len(peers) == 2
    assert {p.number for p in peers} == {"100", "101"}
    stored = {p["Number"]: p["Name"] for p in server.state.records("Peers")}
    assert all(p.name == stored[p.number] for p in peers)


def test_an_export_honours_filter_orderby_top_and_select() -> None:
    pbx = XAPITestServer().xapi()
    export = pbx.users.export_extensions(
        filter="startswith(Number,'1')", orderby="Number desc", top=3, select=["Number", "FirstName"]
    )
    assert isinstance(export, File)
    rows = list(csv.reader(io.StringIO(export.payload.read().decode())))
    assert rows[0] == ["Number", "FirstName"]
    assert [row[0] for row in rows[1:]] == ["199", "198", "197"]
