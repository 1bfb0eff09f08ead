"""Taking a snapshot against the loopback test server: what is read (the registry's entity sets and singletons),
every page of each, the files and the manifest, denied and failed areas, secrets, stable bytes, bad input."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

import threecx_xapi
from threecx_xapi import XAPI, APIConnectionError, PermissionDeniedError, snapshot
from threecx_xapi.testing import XAPITestServer

from .conftest import all_but, expected_resources, read_json

OWNER_ONLY_TAGS = {
    "Backups",
    "CallHistoryView",
    "ChatHistoryView",
    "ChatMessagesHistoryView",
    "OAuthClients",
    "Recordings",
    "RemoteArchivingSettings",
    "SecurityTokens",
    "ServicePrincipals",
}  # the areas the test server refuses a role="admin" client, among those a snapshot reads


def _file(name: str) -> str:
    return name.replace("/", ".") + ".json"


def test_a_snapshot_reads_exactly_the_registry_s_entity_sets_and_singletons(
    pbx: XAPI, server: XAPITestServer, tmp_path: Path
) -> None:
    expected = expected_resources()
    assert len(expected) == 102  # 20.0.10: every entity set, singleton and singleton collection
    server.requests.clear()
    snapshot.take(pbx, tmp_path / "snap")

    manifest = read_json(tmp_path / "snap" / "manifest.json")
    assert set(manifest["resources"]) == set(expected)
    assert sorted(p.name for p in (tmp_path / "snap").iterdir()) == sorted(
        [*(_file(name) for name in expected), "manifest.json"]
    )
    requested = {r.decoded_path.split("?")[0] for r in server.requests if r.path.startswith("/xapi/")}
    assert requested == {f"/xapi/v1/{name}" for name in expected}  # nothing else: no function, no download
    assert all(r.method == "GET" for r in server.requests if r.path.startswith("/xapi/"))
    for name, record in expected.items():
        entry = manifest["resources"][name]
        assert entry["path"] == record["path"] and entry["operation"] == record["operation_id"]
        assert entry["kind"] == ("collection" if record["response"]["collection_item"] else "singleton")
        assert entry["file"] == _file(name)


def test_collections_are_read_to_the_last_page_and_sorted_by_key(
    pbx: XAPI, server: XAPITestServer, tmp_path: Path
) -> None:
    server.requests.clear()
    snapshot.take(pbx, tmp_path / "snap")

    contacts = [r.decoded_path for r in server.requests if r.path.startswith("/xapi/v1/Contacts")]
    assert contacts == [
        "/xapi/v1/Contacts?$top=100&$count=true&$orderby=Id",
        "/xapi/v1/Contacts?$top=100&$skip=100&$count=true&$orderby=Id",
        "/xapi/v1/Contacts?$top=100&$skip=200&$count=true&$orderby=Id",
    ]
    written = read_json(tmp_path / "snap" / "Contacts.json")
    on_server = server.state.records("Contacts")
    assert len(written) == len(on_server) == 250
    assert [c["Id"] for c in written] == sorted(c["Id"] for c in on_server)
    assert all(list(c) == sorted(c) for c in written)  # keys sorted
    by_id = {c["Id"]: c for c in on_server}
    assert all(c == by_id[c["Id"]] for c in written)  # as the PBX sent them: nothing added, nothing lost
    manifest = read_json(tmp_path / "snap" / "manifest.json")
    assert manifest["resources"]["Contacts"]["count"] == 250
    assert manifest["resources"]["Contacts"]["key"] == "Id"
    # keys from the registry where the entity set has no Id, else a schema fallback, else the whole object
    assert manifest["resources"]["Sbcs"]["key"] == "Name"  # /Sbcs({Name})
    assert manifest["resources"]["Fxs"]["key"] == "MacAddress"  # /Fxs({MacAddress})
    assert manifest["resources"]["DidNumbers"]["key"] == "Number"  # no key declared, no Id: Number
    assert manifest["resources"]["CallHistoryView"]["key"] is None  # a keyless view
    sbcs = [r.decoded_path for r in server.requests if r.path.startswith("/xapi/v1/Sbcs")]
    assert sbcs == ["/xapi/v1/Sbcs?$top=100&$count=true&$orderby=Name"]
    greetings = [r.decoded_path for r in server.requests if r.path.startswith("/xapi/v1/MyUser/Greetings")]
    assert greetings == ["/xapi/v1/MyUser/Greetings?$top=100&$count=true"]  # a fallback key is not an $orderby


def test_a_top_cap_lowers_the_page_size_and_nothing_is_dropped(
    pbx: XAPI, server: XAPITestServer, tmp_path: Path
) -> None:
    server.faults.set_top_cap("Users", 40)
    server.requests.clear()
    snap = snapshot.take(pbx, page_size=500, exclude=all_but("Users", "Contacts"))
    users = snap.resources["Users"].entities
    assert [u["Id"] for u in users] == sorted(u["Id"] for u in server.state.records("Users"))
    assert len(users) == 100
    pages = [r.decoded_path for r in server.requests if r.path.startswith("/xapi/v1/Users")]
    assert pages[0] == "/xapi/v1/Users?$top=500&$count=true&$orderby=Id"  # refused: over the cap
    assert pages[1:] == [f"/xapi/v1/Users?$top=40&$skip={skip}&$count=true&$orderby=Id" for skip in (0, 40, 80)]


def test_the_manifest_says_where_when_which_version_and_that_secrets_are_blanked(
    pbx: XAPI, server: XAPITestServer, tmp_path: Path
) -> None:
    snapshot.take(pbx, tmp_path / "snap")
    manifest = read_json(tmp_path / "snap" / "manifest.json")
    assert manifest["format"] == "threecx-xapi-snapshot/1"
    assert manifest["pbx"] == f"{server.url}/xapi/v1"
    assert manifest["xapi_version"] == "20.0.10"  # the PBX's X-3CX-Version
    assert manifest["sdk_version"] == threecx_xapi.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["taken_at"])
    assert manifest["secrets"] == "blanked"
    assert manifest["denied"] == {} and manifest["failed"] == {} and manifest["excluded"] == []
    text = (tmp_path / "snap" / "manifest.json").read_text()
    assert text.endswith("}\n") and '\n  "denied": {},\n' in text  # two-space indents, keys sorted


def test_an_admin_client_records_the_denied_areas_and_reads_the_rest(tmp_path: Path) -> None:
    with XAPITestServer(role="admin") as server, server.xapi() as pbx:
        snap = snapshot.take(pbx, tmp_path / "snap")
    expected = expected_resources()
    denied = {name for name, record in expected.items() if record["tag"] in OWNER_ONLY_TAGS}
    assert len(denied) == 9
    manifest = read_json(tmp_path / "snap" / "manifest.json")
    assert set(manifest["denied"]) == denied == set(snap.denied)
    assert set(manifest["resources"]) == set(expected) - denied
    assert manifest["failed"] == {}
    backups = manifest["denied"]["Backups"]
    assert backups["status"] == 403 and backups["error"] == "PermissionDeniedError"
    assert backups["path"] == "/Backups" and backups["operation"] == "ListBackups"
    assert backups["message"].startswith("GET /xapi/v1/Backups -> 403 Forbidden")
    assert not (tmp_path / "snap" / "Backups.json").exists()


def test_a_failing_resource_is_recorded_and_the_others_are_read(server: XAPITestServer, tmp_path: Path) -> None:
    server.faults.fail_next(500, count=1, path="/Holidays")
    with server.xapi(max_retries=0) as pbx:
        snap = snapshot.take(pbx, tmp_path / "snap", exclude=all_but("Holidays", "Parkings", "Users"))
    manifest = read_json(tmp_path / "snap" / "manifest.json")
    assert list(manifest["failed"]) == ["Holidays"]
    assert manifest["failed"]["Holidays"]["status"] == 500
    assert manifest["failed"]["Holidays"]["error"] == "InternalServerError"
    assert sorted(manifest["resources"]) == ["Parkings", "Users"] and len(snap.resources) == 2


def test_when_nothing_can_be_read_the_error_is_raised_and_no_folder_is_written(tmp_path: Path) -> None:
    readable = [name for name, r in expected_resources().items() if r["tag"] not in OWNER_ONLY_TAGS]
    with XAPITestServer(role="admin") as server, server.xapi() as pbx, pytest.raises(PermissionDeniedError):
        snapshot.take(pbx, tmp_path / "snap", exclude=readable)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_pbx_ends_the_snapshot_and_leaves_nothing_behind(tmp_path: Path) -> None:
    server = XAPITestServer().start()
    url = server.url
    server.close()
    pbx = XAPI(url, client_id="test-client", client_secret="test-secret", max_retries=0)
    with pbx, pytest.raises(APIConnectionError):
        snapshot.take(pbx, tmp_path / "snap")
    assert list(tmp_path.iterdir()) == []


def test_secrets_are_blanked_unless_included(pbx: XAPI, server: XAPITestServer, tmp_path: Path) -> None:
    users = server.state.records("Users")
    passwords = [u["AuthPassword"] for u in users if u.get("AuthPassword")]
    trunk_secrets = [t["AuthPassword"]["Value"] for t in server.state.records("Trunks")]
    assert passwords and trunk_secrets
    only = all_but("Users", "Trunks")
    snapshot.take(pbx, tmp_path / "blanked", exclude=only)
    written = {u["Id"]: u for u in read_json(tmp_path / "blanked" / "Users.json")}
    for user in users:
        for field in ("AccessPassword", "AuthPassword", "DeskphonePassword", "VMPIN"):
            if user.get(field) is not None:
                assert written[user["Id"]][field] == "***"
    trunks = read_json(tmp_path / "blanked" / "Trunks.json")
    assert {t["AuthPassword"]["Value"] for t in trunks} == {"***"}  # nested: ConcealedPassword.Value
    everything = "".join(p.read_text() for p in (tmp_path / "blanked").iterdir())
    assert not [s for s in passwords if s in everything]  # ("Value 48"-like samples also fill non-secret fields)

    snapshot.take(pbx, tmp_path / "included", include_secrets=True, exclude=only)
    assert read_json(tmp_path / "included" / "manifest.json")["secrets"] == "included"
    kept = {u["Id"]: u for u in read_json(tmp_path / "included" / "Users.json")}
    assert all(kept[u["Id"]].get("AuthPassword") == u.get("AuthPassword") for u in users)
    assert [t["AuthPassword"]["Value"] for t in read_json(tmp_path / "included" / "Trunks.json")] == trunk_secrets
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "included").stat().st_mode) == 0o700
        assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "included").iterdir()} == {0o600}


def test_two_snapshots_of_the_same_state_are_byte_identical_but_for_the_time(pbx: XAPI, tmp_path: Path) -> None:
    snapshot.take(pbx, tmp_path / "a")
    snapshot.take(pbx, tmp_path / "b", concurrency=1)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
        if name != "manifest.json":
            assert a == b, name
    strip = re.compile(rb'"taken_at": "[^"]*"')
    a_manifest = (tmp_path / "a" / "manifest.json").read_bytes()
    assert strip.sub(b"", a_manifest) == strip.sub(b"", (tmp_path / "b" / "manifest.json").read_bytes())


class _Counting(httpx.BaseTransport):
    """Counts requests in flight at once."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lock = threading.Lock()
        self.now = self.most = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            with self.lock:
                self.now -= 1

    def close(self) -> None:
        self.inner.close()


def test_resources_are_read_a_bounded_few_at_a_time(server: XAPITestServer) -> None:
    server.faults.set_latency(0.01)
    transport = _Counting()
    with (
        httpx.Client(transport=transport) as http,
        XAPI(server.url, client_id=server.client_id, client_secret=server.client_secret, http_client=http) as pbx,
    ):
        done: list[tuple[int, int, str]] = []
        snapshot.take(pbx, concurrency=2, progress=lambda *step: done.append(step))
    assert transport.most == 2
    assert [d[0] for d in done] == list(range(1, 103)) and {d[1] for d in done} == {102}
    assert {d[2] for d in done} == set(expected_resources())


def test_bad_input_is_refused_before_anything_is_sent(pbx: XAPI, server: XAPITestServer, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("x")
    server.requests.clear()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"directory": tmp_path / "full"}, "is not empty"),
        ({"directory": tmp_path / "file"}, "exists and is not a folder"),
        ({"directory": tmp_path / "file" / "below"}, "file exists and is not a folder"),
        ({"exclude": ["Users", "Nope"]}, "no resource named 'Nope'"),
        ({"exclude": "Users"}, "a list of resource names"),
        ({"exclude": all_but()}, "every resource is excluded"),
        ({"concurrency": 0}, "concurrency must be a positive int"),
        ({"page_size": True}, "page_size must be a positive int"),
    ]
    for kwargs, message in cases:
        with pytest.raises(snapshot.SnapshotError, match=message):
            snapshot.take(pbx, **kwargs)
    async_pbx = server.async_xapi()
    with pytest.raises(snapshot.SnapshotError, match=r"a sync XAPI client .*, not AsyncXAPI"):
        snapshot.take(async_pbx)  # type: ignore[arg-type]
    asyncio.run(async_pbx.close())
    assert len(server.requests) == 0
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"
    assert issubclass(snapshot.SnapshotError, threecx_xapi.XAPIError)


def test_a_folder_that_cannot_be_written_is_an_xapi_error_and_leaves_nothing(pbx: XAPI, tmp_path: Path) -> None:
    target = tmp_path / ("x" * 240)  # a legal name, but the hidden folder written beside it is too long
    with pytest.raises(threecx_xapi.XAPIError, match=r"cannot write the snapshot to .*xxx: File name too long"):
        snapshot.take(pbx, target, exclude=all_but("Groups"))
    assert list(tmp_path.iterdir()) == []


def test_a_snapshot_s_repr_shows_no_data(pbx: XAPI, server: XAPITestServer) -> None:
    snap = snapshot.take(pbx, include_secrets=True, exclude=all_but("Users"))
    password = server.state.records("Users")[0]["AuthPassword"]
    assert password in json.dumps(snap.resources["Users"].data)
    assert password not in repr(snap) and password not in repr(snap.resources)
    assert repr(snap).startswith(f"Snapshot(pbx='{server.url}/xapi/v1', xapi_version='20.0.10',")
