"""One numbering plan across the DN-bearing sets, the defaults a PBX fills in, ids, annotations, read-only Id."""

from __future__ import annotations

import httpx
import pytest

from threecx_xapi import XAPI
from threecx_xapi.testing import XAPITestServer

ALREADY_IN_USE = {
    "error": {
        "code": "",
        "message": "Number:\nWARNINGS.XAPI.ALREADY_IN_USE",
        "details": [{"code": "", "message": "WARNINGS.XAPI.ALREADY_IN_USE", "target": "Number"}],
    }
}


def test_a_create_without_a_number_gets_the_next_free_one(api: httpx.Client) -> None:
    created = api.post("/xapi/v1/Users", json={})
    assert created.status_code == 201
    user = created.json()
    assert (user["Id"], user["Number"]) == (101, "200")  # users hold 100-199
    assert created.headers["Location"] == "http://testserver/xapi/v1/Users(101)"
    assert api.get("/xapi/v1/Users(Number='200')?$select=Id").json()["Id"] == 101
    assert api.post("/xapi/v1/Users", json={"Number": ""}).json()["Number"] == "201"
    assert api.post("/xapi/v1/Queues", json={"Name": "Q"}).json()["Number"] == "805"
    assert api.post("/xapi/v1/Groups", json={"Name": "G"}).json()["Number"] == "GRP0004"
    assert api.post("/xapi/v1/Parkings", json={}).json()["Number"] == "SP3"


def test_a_created_entity_comes_back_with_the_defaults_of_a_pbx(api: httpx.Client) -> None:
    user = api.post("/xapi/v1/Users", json={"FirstName": "Ada"}).json()
    assert user["FirstName"] == "Ada"
    assert user["Language"] == "EN" and user["Enabled"] is True and user["PrimaryGroupId"] == 1
    assert user["AuthID"] and user["AuthPassword"] and user["VMPIN"]
    assert user["TranscriptionMode"] == "Nothing"  # the first value of an enum
    assert user["Require2FA"] is False
    assert "Groups" not in user  # a navigation property: only when expanded
    stored = api.get(f"/xapi/v1/Users({user['Id']})?$expand=Groups").json()
    assert [g["Name"] for g in stored["Groups"]] == ["DEFAULT"]


def test_numbers_are_unique_across_the_plan(api: httpx.Client) -> None:
    group = api.patch("/xapi/v1/Groups(2)", json={"Number": "100"})  # 100 is a user
    assert group.status_code == 400
    assert group.json() == ALREADY_IN_USE
    assert api.post("/xapi/v1/Queues", json={"Number": "700"}).json() == ALREADY_IN_USE  # a ring group
    assert api.post("/xapi/v1/Fax", json={"Number": "sp0"}).status_code == 400  # a parking place, any case
    assert api.patch("/xapi/v1/Users(1)", json={"Number": "100"}).status_code == 204  # its own number
    assert api.patch("/xapi/v1/Users(1)", json={"Number": "4321"}).status_code == 204
    assert api.post("/xapi/v1/Queues", json={"Number": "100"}).status_code == 201  # free again


def test_init_operations_and_first_available_numbers_propose_free_numbers(api: httpx.Client) -> None:
    fax = api.get("/xapi/v1/Fax/Pbx.InitFax()").json()
    trunk = api.get("/xapi/v1/Trunks/Pbx.InitTrunk(template='generic.pv.xml')").json()
    assert (fax["Number"], trunk["Number"]) == ("902", "10003")
    assert "Id" not in fax and fax["AuthID"]  # not created yet: no key
    assert fax["@odata.context"] == "http://testserver/xapi/v1/$metadata#Pbx.Fax"
    assert api.get("/xapi/v1/Fax/Pbx.InitFax()").json()["Number"] == "902"  # proposing takes nothing
    first = api.get("/xapi/v1/Users/Pbx.GetFirstAvailableExtensionNumber()").json()
    assert first["Number"] == "200"
    assert api.get("/xapi/v1/RingGroups/Pbx.GetFirstAvailableRingGroupNumber()").json()["Number"] == "705"
    assert api.post("/xapi/v1/Fax", json={"Number": "902"}).status_code == 201
    assert api.get("/xapi/v1/Fax/Pbx.InitFax()").json()["Number"] == "903"


def test_ids_are_never_reused(api: httpx.Client) -> None:
    assert api.delete("/xapi/v1/Users(100)").status_code == 204
    assert api.post("/xapi/v1/Users", json={}).json()["Id"] == 101
    assert api.delete("/xapi/v1/Users(101)").status_code == 204
    assert api.post("/xapi/v1/Users", json={}).json()["Id"] == 102


def test_annotations_are_read_and_not_stored(api: httpx.Client, server: XAPITestServer) -> None:
    body = {
        "@odata.context": "https://pbx.example.com/xapi/v1/$metadata#Users/$entity",
        "@odata.type": "#Pbx.User",
        "FirstName": "Ada",
        "FirstName@odata.type": "#String",
        "Phones": [{"@odata.type": "#Pbx.Phone", "MacAddress": "00:15:65:00:00:01"}],
    }
    created = api.post("/xapi/v1/Users", json=body)
    assert created.status_code == 201
    stored = next(r for r in server.state.records("Users") if r["Id"] == created.json()["Id"])
    assert not [k for k in stored if "@" in k]
    assert stored["Phones"] == [{"MacAddress": "00:15:65:00:00:01"}]
    patched = api.patch("/xapi/v1/Users(1)", json={"@odata.etag": 'W/"1"', "LastName@odata.type": "#String"})
    assert patched.status_code == 204
    assert not [k for k in server.state.records("Users")[0] if "@" in k]


def test_a_read_only_id_echoed_back_is_ignored(api: httpx.Client) -> None:
    assert api.patch("/xapi/v1/Users(1)", json={"Id": 999, "FirstName": "Renamed"}).status_code == 204
    assert api.get("/xapi/v1/Users(1)?$select=Id,FirstName").json()["FirstName"] == "Renamed"
    assert api.get("/xapi/v1/Users(999)").status_code == 404
    created = api.post("/xapi/v1/Users", json={"Id": 5})
    assert created.json()["Id"] == 101


def test_create_and_read_through_the_sdk(xapi_client: XAPI) -> None:
    user = xapi_client.users.create_user(body={})
    assert user.number == "200" and user.id == 101
    again = xapi_client.users.get_user(user.id)
    assert again.number == "200"


@pytest.mark.parametrize("set_name", ["Fax", "Receptionists", "ServicePrincipals", "CallFlowApps"])
def test_seeded_numbers_never_collide(server: XAPITestServer, set_name: str) -> None:
    numbers = [
        str(r.get("Number")).lower()
        for name in server.state.numbered_sets()
        for r in server.state.records(name)
        if r.get("Number")
    ]
    assert len(numbers) == len(set(numbers))
    assert server.state.records(set_name)[0]["Number"]


def test_peers_follow_the_plan(api: httpx.Client) -> None:
    def peer(number: str) -> httpx.Response:
        return api.get(f"/xapi/v1/Peers(Number='{number}')?$select=Number,Name,Type")

    user = api.post("/xapi/v1/Users", json={"FirstName": "Ada", "LastName": "Lovelace"}).json()
    assert {k: v for k, v in peer("200").json().items() if not k.startswith("@")} == {
        "Number": "200",
        "Name": "Ada Lovelace",
        "Type": "Extension",
    }
    assert (
        api.patch(f"/xapi/v1/Users({user['Id']})", json={"Number": "4000", "DisplayName": "Ada L."}).status_code == 204
    )
    assert peer("200").status_code == 404
    assert peer("4000").json()["Name"] == "Ada L."
    ivr = api.post("/xapi/v1/Receptionists", json={"Name": "Main menu"}).json()
    assert peer(ivr["Number"]).json()["Type"] == "IVR"
    assert api.delete(f"/xapi/v1/Users({user['Id']})").status_code == 204
    assert peer("4000").status_code == 404
    found = api.post("/xapi/v1/Peers/Pbx.RetreivePeersByNumbers", json={"peersRequest": {"DnNumbers": [ivr["Number"]]}})
    assert [p["Name"] for p in found.json()["value"]] == ["Main menu"]
