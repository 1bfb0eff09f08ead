"""Planning: each action and each kind of conflict, exactly the changed fields, and nothing written."""

from __future__ import annotations

import httpx

from threecx_xapi import XAPI
from threecx_xapi.provision import Change, PlanEntry, Provisioner
from threecx_xapi.testing import SyncASGITransport, XAPITestServer

from .conftest import api_requests, user, writes


def test_a_plan_lists_update_unchanged_and_create_and_writes_nothing(server: XAPITestServer, pbx: XAPI) -> None:
    first, second = user(server, "100"), user(server, "101")
    rows = [
        {"Number": "100", "FirstName": "Ada", "LastName": first["LastName"]},
        {"Number": "101", "FirstName": second["FirstName"], "Enabled": "true" if second["Enabled"] else "false"},
        {"Number": "5000", "FirstName": "Grace", "LastName": "Hopper", "EmailAddress": "grace@example.com"},
    ]
    plan = Provisioner(pbx, "users").plan(rows)

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 1, "conflict": 0, "delete": 0}
    update, unchanged, create = plan.entries
    assert (update.row, update.key, update.action, update.entity_id) == (1, "100", "update", first["Id"])
    assert update.changes == (Change("FirstName", first["FirstName"], "Ada"),)
    assert dict(update.body) == {"FirstName": "Ada"}
    assert str(update.changes[0]) == f"FirstName: {first['FirstName']!r} -> 'Ada'"
    assert (unchanged.action, unchanged.changes, unchanged.entity_id) == ("unchanged", (), second["Id"])
    assert create.action == "create"
    assert dict(create.body) == {
        "Number": "5000",
        "FirstName": "Grace",
        "LastName": "Hopper",
        "EmailAddress": "grace@example.com",
    }
    assert writes(server) == []
    paths = [r.decoded_path for r in api_requests(server)]
    assert all(r.method == "GET" for r in api_requests(server))
    assert any(p.startswith("/xapi/v1/Users?") for p in paths)
    assert any(p.startswith("/xapi/v1/Peers?") for p in paths)  # numbers in use anywhere in the plan


def test_each_kind_of_conflict_names_the_row_and_the_reason(server: XAPITestServer, pbx: XAPI) -> None:
    queue = server.state.records("Queues")[0]
    taken_email = user(server, "105")["EmailAddress"]
    rows = [
        {"Number": queue["Number"], "FirstName": "Q"},
        {"Number": "5001", "EmailAddress": taken_email.upper()},
        {"Number": "5002", "Enabled": "maybe"},
        {"Number": "5003", "FirstName": "One"},
        {"Number": "5003", "FirstName": "Two"},
        {"Number": "5004", "EmailAddress": "same@example.com"},
        {"Number": "5005", "EmailAddress": "same@example.com"},
        {"Number": "5006", "group": "Nowhere"},
        {"Number": "5007", "group": "Sales", "role": "overlord"},
        {"Number": "5008", "PinProtectTimeout": "99999999999"},
    ]
    plan = Provisioner(pbx, "users").plan(rows)

    reasons = {entry.row: entry.reasons for entry in plan}
    assert reasons[1] == (f"number {queue['Number']} is already in use by Queue {queue['Name']!r}",)
    assert reasons[2] == (
        f"EmailAddress {taken_email.upper()} is already in use by Users 105 (Id {user(server, '105')['Id']})",
    )
    assert reasons[3] == ("column Enabled: expected a boolean, got str 'maybe'",)
    assert reasons[4] == ("duplicate key: Number 5003 is also in row 5",)
    assert reasons[5] == ("duplicate key: Number 5003 is also in row 4",)
    assert reasons[6] == ()  # the first to name an address has it
    assert reasons[7] == ("EmailAddress same@example.com is also in row 6",)
    assert reasons[8] == ("group 'Nowhere' does not exist",)
    assert reasons[9] == (
        "role 'overlord' is not a 3CX role (one of system_owners, system_admins, group_owners, managers, "
        "group_admins, receptionists, users)",
    )
    out_of_range = "99999999999 is out of range for int32 (-2147483648 to 2147483647)"
    assert reasons[10] == (f"column PinProtectTimeout: {out_of_range}",)
    assert [e.action for e in plan] == ["conflict"] * 5 + ["create"] + ["conflict"] * 4
    assert plan.counts["conflict"] == 9
    assert writes(server) == []


def test_rows_without_a_number_get_the_next_free_ones_in_row_order(server: XAPITestServer, pbx: XAPI) -> None:
    numbers = {u["Number"] for u in server.state.records("Users")}
    first_free = next(str(n) for n in range(100, 1000) if str(n) not in numbers)
    after = str(int(first_free) + 1)
    rows = [
        {"FirstName": "A", "EmailAddress": "a@example.com"},
        {"Number": after, "FirstName": "B"},  # named in the file: skipped over
        {"FirstName": "C", "EmailAddress": "c@example.com"},
    ]
    plan = Provisioner(pbx, "users").plan(rows)

    assert [(e.key, e.action, e.body.get("Number")) for e in plan] == [
        (first_free, "create", first_free),
        (after, "create", after),
        (str(int(first_free) + 2), "create", str(int(first_free) + 2)),
    ]
    assert plan.entries[0].changes[0] == Change("Number", None, first_free)
    assert plan.notes == ()  # each has an e-mail address to be found by next time
    assert [r.decoded_path for r in api_requests(server) if "FirstAvailable" in r.path] == [
        "/xapi/v1/Users/Pbx.GetFirstAvailableExtensionNumber()"
    ]


def test_a_set_without_a_first_available_function_counts_on_from_its_lowest_number(
    server: XAPITestServer, pbx: XAPI
) -> None:
    plan = Provisioner(pbx, "groups").plan([{"Name": "Warehouse"}, {"Name": "Night shift"}])

    assert [(e.action, e.body["Number"]) for e in plan] == [("create", "GRP0004"), ("create", "GRP0005")]
    assert plan.notes == (
        "rows without Number or EmailAddress (1, 2) cannot be found by a second apply, which would create them "
        "again: put the numbers they get into the file",
    )
    assert str(plan).splitlines()[1] == f"note: {plan.notes[0]}"


def test_matching_by_email_finds_the_entity_whatever_the_case_and_may_renumber_it(
    server: XAPITestServer, pbx: XAPI
) -> None:
    target, other = user(server, "110"), user(server, "111")
    rows = [
        {"EmailAddress": target["EmailAddress"].upper(), "Number": "6000"},
        {"EmailAddress": "new.person@example.com", "Number": other["Number"]},
    ]
    plan = Provisioner(pbx, "users", key="EmailAddress").plan(rows)

    renumber, clash = plan.entries
    assert (renumber.action, renumber.entity_id) == ("update", target["Id"])
    assert renumber.changes == (Change("Number", "110", "6000"),)
    assert clash.reasons == (f"number 111 is already in use by Users {other['EmailAddress']} (Id {other['Id']})",)


def test_secret_fields_are_planned_but_never_shown(server: XAPITestServer, pbx: XAPI) -> None:
    plan = Provisioner(pbx, "users").plan([{"Number": "100", "VMPIN": "918273"}, {"Number": "101", "VMPIN": 9182.73}])

    entry, refused = plan.entries
    assert refused.reasons == ("column VMPIN: the value is refused (a secret: not shown)",)
    assert entry.action == "update"
    assert dict(entry.body) == {"VMPIN": "918273"}  # sent as given
    assert str(entry.changes[0]) == "VMPIN: '***' -> '***'"
    for text in (str(plan), repr(plan), repr(entry), str(entry.as_dict()), str(plan.as_dicts())):
        assert "918273" not in text
        assert "9182" not in text


def test_group_membership_and_role_columns(server: XAPITestServer, pbx: XAPI) -> None:
    rows: list[dict[str, object]] = [
        {"Number": "100", "group": "Support", "role": "managers"},
        {"Number": "101", "groups": "GRP0000; 2:group_admins"},
        {"Number": "102", "role": "receptionists"},  # every group it is in, new role
        {"Number": "103", "Groups": [{"GroupId": 4, "Rights": {"RoleName": "users"}}]},
        {"Number": "104", "Groups": '[{"GroupId": 4, "Rights": {"RoleName": "managers"}}]'},  # JSON in a CSV cell
    ]
    plan = Provisioner(pbx, "users").plan(rows)

    bodies = [dict(e.body) for e in plan]
    assert bodies[0] == {"Groups": [{"GroupId": 3, "Rights": {"RoleName": "managers"}}]}
    default = {"GroupId": 1, "Rights": {"RoleName": "users"}}
    sales = {"GroupId": 2, "Rights": {"RoleName": "group_admins"}}
    assert bodies[1] == {"Groups": [default, sales]}
    groups_of_102 = sorted(g["GroupId"] for g in user(server, "102")["Groups"])
    assert bodies[2] == {"Groups": [{"GroupId": g, "Rights": {"RoleName": "receptionists"}} for g in groups_of_102]}
    assert str(plan.entries[0].changes[0]).startswith("Groups: DEFAULT (users), ")
    assert str(plan.entries[0].changes[0]).endswith(" -> Support (managers)")
    assert bodies[4] == {"Groups": [{"GroupId": 4, "Rights": {"RoleName": "managers"}}]}
    in_finance = {g["GroupId"] for g in user(server, "103")["Groups"]} == {1, 4}
    assert plan.entries[3].action == ("update" if not in_finance else "unchanged")
    listed = [r.decoded_path for r in api_requests(server) if r.decoded_path.startswith("/xapi/v1/Users?")]
    assert all("$expand=Groups($expand=Rights)" in p for p in listed)


def test_prune_plans_a_delete_for_each_entity_the_file_does_not_name(server: XAPITestServer, pbx: XAPI) -> None:
    everyone = server.state.records("Users")
    rows = [{"Number": u["Number"]} for u in everyone[2:]]

    assert Provisioner(pbx, "users").plan(rows).counts["delete"] == 0
    plan = Provisioner(pbx, "users").plan(rows, prune=True)
    deletions = plan.of("delete")
    assert [(e.row, e.key, e.entity_id) for e in deletions] == [(None, u["Number"], u["Id"]) for u in everyone[:2]]
    assert plan.entries[-2:] == tuple(deletions)  # after every row
    assert deletions[0].detail == "not named in the file"
    assert writes(server) == []


def test_a_row_without_a_number_is_matched_by_its_email_and_so_never_pruned(server: XAPITestServer, pbx: XAPI) -> None:
    known = user(server, "120")
    rows = [{"EmailAddress": known["EmailAddress"], "FirstName": known["FirstName"]}]
    plan = Provisioner(pbx, "users").plan(rows, prune=True)

    assert plan.entries[0] == PlanEntry(1, "120", "unchanged", entity_id=known["Id"])
    deleted = {e.entity_id for e in plan.of("delete")}
    assert known["Id"] not in deleted
    assert len(deleted) == len(server.state.records("Users")) - 1


def test_numbers_of_every_numbered_collection_count_even_where_peers_leave_them_out(
    server: XAPITestServer, pbx: XAPI
) -> None:
    ivr = server.state.records("Receptionists")[0]
    parking = server.state.records("Parkings")[0]
    assert ivr["Number"] not in {p["Number"] for p in server.state.records("Peers")}
    plan = Provisioner(pbx, "users").plan([{"Number": ivr["Number"]}, {"Number": parking["Number"].lower()}])

    assert [e.reasons for e in plan] == [
        (f"number {ivr['Number']} is already in use by Receptionists {ivr['Name']!r}",),
        (f"number {parking['Number'].lower()} is already in use by Parkings {parking['Number']!r}",),  # no Name
    ]


def test_a_principal_that_may_not_read_a_numbered_collection_still_plans(server: XAPITestServer) -> None:
    server.add_client("ops", "s3cret-ops", role="admin")
    http = httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url="http://testserver")
    with http, XAPI("http://testserver", client_id="ops", client_secret="s3cret-ops", http_client=http) as admin:
        plan = Provisioner(admin, "users").plan([{"Number": "5000"}])

    assert [e.action for e in plan] == ["create"]
    refused = [r for r in api_requests(server) if r.path.startswith("/xapi/v1/ServicePrincipals")]
    assert len(refused) == 1  # asked, answered 403, and left out
