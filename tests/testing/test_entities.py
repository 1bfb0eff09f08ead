"""Entity sets and singletons: create, read, PATCH (arrays replaced whole), delete, and body validation."""

from __future__ import annotations

import httpx
import pytest

from threecx_xapi.testing import XAPITestServer


def test_create_patch_delete_round_trip(api: httpx.Client, server: XAPITestServer) -> None:
    created = api.post("/xapi/v1/Users", json={"Number": "250", "FirstName": "Nia", "LastName": "Okafor"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["Id"] == 101
    assert body["@odata.context"].endswith("$metadata#Users/$entity")
    assert created.headers["Location"].endswith("/xapi/v1/Users(101)")

    patched = api.patch("/xapi/v1/Users(101)", json={"LastName": "Okafor-Reyes", "Enabled": True})
    assert patched.status_code == 204 and patched.content == b""
    user = api.get("/xapi/v1/Users(Number='250')").json()
    assert (user["FirstName"], user["LastName"], user["Enabled"]) == ("Nia", "Okafor-Reyes", True)
    assert len(server.state.records("Users")) == 101

    assert api.delete("/xapi/v1/Users(101)").status_code == 204
    assert api.get("/xapi/v1/Users(101)").status_code == 404
    assert api.delete("/xapi/v1/Users(101)").status_code == 404
    assert api.patch("/xapi/v1/Users(101)", json={"FirstName": "x"}).status_code == 404


def test_patch_changes_only_the_given_fields(api: httpx.Client) -> None:
    before = api.get("/xapi/v1/Users(5)").json()
    assert api.patch("/xapi/v1/Users(5)", json={"Mobile": "+15550100"}).status_code == 204
    after = api.get("/xapi/v1/Users(5)").json()
    assert after["Mobile"] == "+15550100"
    assert {k: v for k, v in after.items() if k != "Mobile"} == {k: v for k, v in before.items() if k != "Mobile"}


def test_patch_replaces_nested_arrays_whole(api: httpx.Client) -> None:
    agents = api.get("/xapi/v1/Queues(1)/Agents").json()["value"]
    assert len(agents) == 3
    new = [{"Number": "150", "Name": "Only One"}]
    assert api.patch("/xapi/v1/Queues(1)", json={"Agents": new}).status_code == 204
    assert api.get("/xapi/v1/Queues(1)/Agents").json()["value"] == new
    assert api.get("/xapi/v1/Queues(1)?$expand=Agents").json()["Agents"] == new


def test_patch_merges_complex_values(api: httpx.Client) -> None:
    before = api.get("/xapi/v1/Users(2)").json()["Hours"]
    assert api.patch("/xapi/v1/Users(2)", json={"Hours": {"Type": before.get("Type", "AllHours")}}).status_code == 204
    after = api.get("/xapi/v1/Users(2)").json()["Hours"]
    assert set(after) == set(before)  # the other fields of the complex value are kept


def test_create_group_with_members(api: httpx.Client) -> None:
    members = [{"Id": 1, "Number": "100"}, {"Id": 2, "Number": "101"}]
    created = api.post("/xapi/v1/Groups", json={"Name": "Night shift", "Number": "GRP0009", "Members": members})
    assert created.status_code == 201
    group_id = created.json()["Id"]
    assert api.get(f"/xapi/v1/Groups({group_id})/Members").json()["value"] == members


def test_duplicate_number_or_email_is_already_in_use(api: httpx.Client) -> None:
    response = api.post("/xapi/v1/Users", json={"Number": "100"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "",
            "message": "Number:\nWARNINGS.XAPI.ALREADY_IN_USE",
            "details": [{"code": "", "message": "WARNINGS.XAPI.ALREADY_IN_USE", "target": "Number"}],
        }
    }
    taken = api.patch("/xapi/v1/Users(3)", json={"EmailAddress": "alice.andersen@example.com"})
    assert taken.status_code == 400
    assert api.patch("/xapi/v1/Users(1)", json={"Number": "100"}).status_code == 204  # its own number


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"Nope": 1}, "Nope"),
        ({"Number": 250}, "Number"),
        ({"PinProtectTimeout": "5"}, "PinProtectTimeout"),
        ({"Enabled": "true"}, "Enabled"),
        ({"QueueStatus": "Sleeping"}, "QueueStatus"),
        ({"Groups": [{"GroupId": "x"}]}, "Groups[0].GroupId"),
        ({"Groups": None}, "Groups"),
        ({"Hours": {"Nope": 1}}, "Hours.Nope"),
        ({"PinProtectTimeout": 2**31}, "PinProtectTimeout"),
    ],
)
def test_body_validation_names_the_field(api: httpx.Client, body: dict[str, object], target: str) -> None:
    response = api.post("/xapi/v1/Users", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == f"{target}:\nWARNINGS.XAPI.INVALID_VALUE"
    assert error["details"] == [{"code": "", "message": "WARNINGS.XAPI.INVALID_VALUE", "target": target}]


def test_body_that_is_not_json_or_missing(api: httpx.Client) -> None:
    response = api.post("/xapi/v1/Users", content=b"{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body is not valid JSON."
    assert api.post("/xapi/v1/Users").status_code == 400
    assert api.post("/xapi/v1/Users", json=[1, 2]).status_code == 400


def test_action_bodies_are_validated_too(api: httpx.Client) -> None:
    bad = api.post("/xapi/v1/Contacts/Pbx.DeleteContactsById", json={"ids": ["1"]})
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["target"] == "ids[0]"
    assert api.post("/xapi/v1/Contacts/Pbx.DeleteContactsById", json={"ids": [1, 2]}).status_code == 204
    assert api.get("/xapi/v1/Contacts(1)").status_code == 404
    assert api.get("/xapi/v1/Contacts?$count=true&$top=1").json()["@odata.count"] == 248


def test_odata_control_information_is_allowed(api: httpx.Client) -> None:
    response = api.post("/xapi/v1/Contacts", json={"@odata.type": "#Pbx.Contact", "FirstName": "Ada"})
    assert response.status_code == 201


def test_navigation_collections(api: httpx.Client) -> None:
    groups = api.get("/xapi/v1/Users(1)/Groups").json()
    assert groups["@odata.context"].endswith("$metadata#Users(1)/Groups")
    assert [g["Name"] for g in groups["value"]] == ["DEFAULT", "Sales"]
    members = api.get("/xapi/v1/Groups(2)/Members?$count=true&$top=2&$orderby=Number desc").json()
    assert members["@odata.count"] == 34
    assert [m["Number"] for m in members["value"]] == ["199", "196"]
    assert api.get("/xapi/v1/Users(4242)/Groups").status_code == 404


def test_singletons_read_and_patch(api: httpx.Client) -> None:
    before = api.get("/xapi/v1/MyUser").json()
    assert before["@odata.context"].endswith("$metadata#MyUser")
    assert api.patch("/xapi/v1/MyUser", json={"FirstName": "Renamed"}).status_code == 204
    assert api.get("/xapi/v1/MyUser?$select=FirstName").json()["FirstName"] == "Renamed"
    assert api.patch("/xapi/v1/MyUser", json={"FirstName": 1}).status_code == 400


def test_state_can_be_changed_and_reset_from_the_test(api: httpx.Client, server: XAPITestServer) -> None:
    users = server.state.entity_set("Users")
    with server.state.lock:
        users.create({"Number": "300", "FirstName": "Injected"})
    assert api.get("/xapi/v1/Users(Number='300')").json()["FirstName"] == "Injected"
    server.reset()
    assert len(server.state.records("Users")) == 100


def test_string_keys_come_from_the_body(api: httpx.Client) -> None:
    created = api.post("/xapi/v1/Sbcs", json={"Name": "edge1"})
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith("/xapi/v1/Sbcs('edge1')")
    assert api.get("/xapi/v1/Sbcs('edge1')").json()["Name"] == "edge1"
    again = api.post("/xapi/v1/Sbcs", json={"Name": "edge1"})
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "Name:\nWARNINGS.XAPI.ALREADY_IN_USE"
