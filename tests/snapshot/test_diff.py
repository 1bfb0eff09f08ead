"""Diffs: a snapshot, a change made through the SDK, a second snapshot, and exactly that change in the diff
(Markdown and JSON); field paths; secrets; denied areas; ignore patterns; snapshots that cannot be read."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from threecx_xapi import XAPI, snapshot
from threecx_xapi.snapshot import MISSING, FieldChange
from threecx_xapi.snapshot._fields import field_changes
from threecx_xapi.testing import XAPITestServer

from .conftest import all_but, read_json


def _peers(pbx: XAPI) -> dict[int, dict[str, Any]]:
    return {peer.id: peer.to_dict() for peer in pbx.peers.list_peer(top=100)}


def test_a_change_made_between_two_snapshots_is_exactly_what_the_diff_shows(pbx: XAPI, tmp_path: Path) -> None:
    before = snapshot.take(pbx, tmp_path / "before")
    peers_before = _peers(pbx)
    ada = {"FirstName": "Ada", "LastName": "Lovelace", "EmailAddress": "ada@example.com"}
    created = pbx.users.create_user(body=ada)
    group = next(g for g in pbx.groups.list_group(top=10) if g.name)
    pbx.groups.update_group(group.id, body={"Name": "Sales EU"})
    snapshot.take(pbx, tmp_path / "after")
    peers_after = _peers(pbx)

    result = snapshot.diff(snapshot.load(tmp_path / "before"), snapshot.load(tmp_path / "after"))
    assert result.has_differences
    assert [r.name for r in result.resources] == ["Groups", "Peers", "Users"]
    assert len(result.unchanged) == 99 and not result.only_in_a and not result.only_in_b and not result.not_compared
    groups, peers, users = result.resources
    assert (len(groups.added), len(groups.removed), len(groups.changed)) == (0, 0, 1)
    assert groups.changed[0].key == group.id
    assert groups.changed[0].fields == (FieldChange("Name", group.name, "Sales EU"),)
    assert [c.key for c in users.added] == [created.id] and not users.removed and not users.changed
    assert users.added[0].entity == read_json(tmp_path / "after" / "Users.json")[-1]
    assert users.added[0].entity["FirstName"] == "Ada"
    # Peers is the PBX's own view of every number: it follows, as the PBX lists it
    assert [c.key for c in peers.added] == sorted(set(peers_after) - set(peers_before))
    assert [c.key for c in peers.removed] == sorted(set(peers_before) - set(peers_after))
    changed_peers = sorted(i for i in set(peers_before) & set(peers_after) if peers_before[i] != peers_after[i])
    assert [c.key for c in peers.changed] == changed_peers

    as_json = result.to_dict()
    assert as_json["differences"] is True
    assert as_json["resources"][0] == {
        "kind": "collection",
        "name": "Groups",
        "key": "Id",
        "added": [],
        "removed": [],
        "changed": [
            {"key": group.id, "fields": [{"kind": "changed", "path": "Name", "old": group.name, "new": "Sales EU"}]}
        ],
    }
    assert as_json["resources"][2]["added"] == [{"key": created.id, "entity": users.added[0].entity}]
    assert as_json["a"]["source"] == str(tmp_path / "before") and as_json["a"]["taken_at"] == before.taken_at
    json.dumps(as_json)  # plain JSON all the way down

    text = result.to_markdown()
    assert "**3 resources differ**, 99 the same." in text
    assert "- Groups: 1 changed\n" in text and "- Users: 1 added\n" in text
    assert f"- `Id={group.id} (Number {group.number}, Name Sales EU)`\n" in text
    assert f'  - `Name`: `"{group.name}"` -> `"Sales EU"`\n' in text
    assert f"### Added (1)\n\n- `Id={created.id} (Number {created.number}, FirstName Ada)`\n" in text
    assert f"| source | {tmp_path / 'before'} | {tmp_path / 'after'} |" in text


def test_the_same_state_has_no_differences(pbx: XAPI) -> None:
    a, b = snapshot.take(pbx), snapshot.take(pbx)
    result = snapshot.diff(a, b)
    assert not result.has_differences and result.resources == ()
    assert len(result.unchanged) == 102
    assert "**No differences** in 102 resources compared." in result.to_markdown()


def test_a_setting_change_is_shown_by_field_path(pbx: XAPI, server: XAPITestServer) -> None:
    a = snapshot.take(pbx, exclude=all_but("OfficeHours", "Users"))
    hours = pbx.office_hours.get_office_hours().to_dict()
    pbx.office_hours.update_office_hours(body={"BreakTime": {**hours["BreakTime"], "IgnoreHolidays": True}})
    b = snapshot.take(pbx, exclude=all_but("OfficeHours", "Users"))
    result = snapshot.diff(a, b)
    assert [r.name for r in result.resources] == ["OfficeHours"]
    office = result.resources[0]
    assert not office.collection
    assert office.changed[0].fields == (FieldChange("BreakTime.IgnoreHolidays", False, True),)
    assert result.to_dict()["resources"][0] == {
        "kind": "singleton",
        "name": "OfficeHours",
        "fields": [{"kind": "changed", "path": "BreakTime.IgnoreHolidays", "old": False, "new": True}],
    }
    assert "## OfficeHours\n\n1 field changed (settings)\n\n- `BreakTime.IgnoreHolidays`: `false` -> `true`\n" in (
        result.to_markdown()
    )


def test_field_changes_follow_objects_lists_by_id_and_json_types() -> None:
    old = {"A": {"B": 1, "C": [1, 2]}, "Gone": "x", "Flag": 1, "Rows": [{"Id": 1, "V": "a"}, {"Id": 2, "V": "b"}]}
    new = {"A": {"B": 2, "C": [2, 1]}, "New": None, "Flag": True, "Rows": [{"Id": 2, "V": "c"}, {"Id": 3, "V": "d"}]}
    assert field_changes(old, new) == [
        FieldChange("A.B", 1, 2),
        FieldChange("A.C", [1, 2], [2, 1]),  # a list without ids is one value
        FieldChange("Flag", 1, True),  # 1 and true differ on the wire
        FieldChange("Gone", "x", MISSING),
        FieldChange("New", MISSING, None),
        FieldChange("Rows[Id=1]", {"Id": 1, "V": "a"}, MISSING),
        FieldChange("Rows[Id=2].V", "b", "c"),
        FieldChange("Rows[Id=3]", MISSING, {"Id": 3, "V": "d"}),
    ]
    assert [c.kind for c in field_changes({"a": 1}, {"b": 1})] == ["removed", "added"]
    assert FieldChange("Gone", "x", MISSING).to_dict() == {"kind": "removed", "path": "Gone", "old": "x"}


def test_denied_areas_are_noted_not_compared(server: XAPITestServer) -> None:
    server.add_client("ops", "ops-secret-1", role="admin")
    with server.xapi() as owner:
        full = snapshot.take(owner)
    with XAPI(server.url, client_id="ops", client_secret="ops-secret-1") as admin:
        partial = snapshot.take(admin)
    result = snapshot.diff(full, partial)
    assert not result.has_differences
    assert [(n.name, n.a, n.b) for n in result.not_compared][:2] == [
        ("Backups", "read", "denied (403)"),
        ("CallHistoryView", "read", "denied (403)"),
    ]
    assert len(result.not_compared) == 9
    assert "## Not compared\n\n| resource | A | B |\n|---|---|---|\n| Backups | read | denied (403) |\n" in (
        result.to_markdown()
    )


def test_resources_on_one_side_only_and_ignore_patterns(pbx: XAPI) -> None:
    a = snapshot.take(pbx, exclude=all_but("Users", "Peers", "Parkings", "Fax"))
    pbx.users.create_user(body={"FirstName": "Ada"})
    b = snapshot.take(pbx, exclude=all_but("Users", "Peers", "Holidays", "Fax"))
    result = snapshot.diff(a, b)
    assert [(n.name, n.a, n.b) for n in result.not_compared] == [
        ("Holidays", "excluded", "read"),
        ("Parkings", "read", "excluded"),
    ]
    assert not result.only_in_a and not result.only_in_b
    older = dataclasses.replace(a, resources={k: v for k, v in a.resources.items() if k != "Fax"})  # another SDK
    result = snapshot.diff(older, b)
    assert result.only_in_b == ("Fax",) and snapshot.diff(b, older).only_in_a == ("Fax",)
    assert "## Only in B\n\n- Fax\n" in result.to_markdown()
    quiet = snapshot.diff(a, b, ignore=["Peers", "Users", "Holidays", "Parkings"])
    assert not quiet.has_differences and quiet.ignored == ("Peers", "Users", "Holidays", "Parkings")
    users_only = snapshot.diff(a, b, ignore=["Peers", "Holidays", "Parkings"])
    assert [r.name for r in users_only.resources] == ["Users"]


def test_ignored_fields_do_not_make_an_entity_changed(pbx: XAPI) -> None:
    a = snapshot.take(pbx, exclude=all_but("Groups", "Peers"))
    group = next(iter(pbx.groups.list_group(top=1)))
    pbx.groups.update_group(group.id, body={"Name": "Renamed"})
    b = snapshot.take(pbx, exclude=all_but("Groups", "Peers"))
    assert "Groups" not in [r.name for r in snapshot.diff(a, b, ignore=["Groups.Name", "Peers*"]).resources]
    assert [r.name for r in snapshot.diff(a, b, ignore=["*.Name", "Peers"]).resources] == []
    assert [r.name for r in snapshot.diff(a, b, ignore=["Peers"]).resources] == ["Groups"]


def test_secrets_are_compared_only_when_both_sides_have_them(pbx: XAPI, server: XAPITestServer) -> None:
    only = all_but("Users", "Trunks")
    blanked = snapshot.take(pbx, exclude=only)
    with_secrets = snapshot.take(pbx, include_secrets=True, exclude=only)
    assert not snapshot.diff(blanked, with_secrets).has_differences  # "***" against the real value: not a change
    user = server.state.records("Users")[0]
    pbx.users.update_user(user["Id"], body={"VMPIN": "924613"})
    changed = snapshot.take(pbx, include_secrets=True, exclude=only)
    result = snapshot.diff(with_secrets, changed)
    users = next(r for r in result.resources if r.name == "Users")
    assert users.changed[0].fields == (FieldChange("VMPIN", user["VMPIN"], "924613"),)
    assert not [r for r in snapshot.diff(blanked, changed).resources if r.name == "Users"]
    assert "924613" not in snapshot.diff(blanked, changed).to_markdown()


def test_whole_object_identity_shows_an_edit_as_removed_and_added(pbx: XAPI) -> None:
    a = snapshot.take(pbx, exclude=all_but("CallHistoryView"))
    rows = a.resources["CallHistoryView"]
    assert rows.key is None
    edited = [dict(rows.entities[0], CallAnswered=not rows.entities[0]["CallAnswered"]), *rows.entities[1:]]
    b = dataclasses.replace(a, resources={**a.resources, "CallHistoryView": dataclasses.replace(rows, data=edited)})
    view = snapshot.diff(a, b).resources[0]
    assert (view.name, len(view.added), len(view.removed), len(view.changed)) == ("CallHistoryView", 1, 1, 0)
    assert view.added[0].entity == edited[0] and view.removed[0].entity == rows.entities[0]


def test_a_folder_that_is_not_a_snapshot_is_refused_naming_the_problem(pbx: XAPI, tmp_path: Path) -> None:
    snapshot.take(pbx, tmp_path / "good", exclude=all_but("Users", "Groups", "OfficeHours"))
    cases: list[tuple[str, str]] = []
    (tmp_path / "empty").mkdir()
    cases.append(("empty", "no manifest.json"))
    cases.append(("missing", "no such folder"))
    for name, change, message in (
        ("format", lambda m: {**m, "format": "other/9"}, "format 'other/9' is not 'threecx-xapi-snapshot/1'"),
        ("secrets", lambda m: {**m, "secrets": "maybe"}, "'secrets' is 'maybe'"),
        ("escape", lambda m: _with_file(m, "Users", "../x.json"), "file '../x.json' is not a file name"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        for file in (tmp_path / "good").iterdir():
            (folder / file.name).write_bytes(file.read_bytes())
        (folder / "manifest.json").write_text(json.dumps(change(read_json(folder / "manifest.json"))))
        cases.append((name, message))
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in (tmp_path / "good").iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    (broken / "Users.json").write_text("{not json")
    (broken / "Groups.json").unlink()
    cases.append(("broken", "Groups.json is missing"))
    for name, message in cases:
        with pytest.raises(snapshot.SnapshotError, match=re.escape(message)):
            snapshot.load(tmp_path / name)
    (broken / "Groups.json").write_text("[]")
    with pytest.raises(snapshot.SnapshotError, match=re.escape("Users.json is not JSON")):
        snapshot.load(broken)
    (broken / "Users.json").write_text("{}")
    with pytest.raises(snapshot.SnapshotError, match=re.escape("Users.json: expected a JSON array of objects")):
        snapshot.load(broken)


def _with_file(manifest: dict[str, Any], name: str, file: str) -> dict[str, Any]:
    resources = dict(manifest["resources"])
    resources[name] = {**resources[name], "file": file}
    return {**manifest, "resources": resources}
