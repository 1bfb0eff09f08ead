"""Query options on Users and Contacts: caps, $filter, $orderby, $select, $expand, $count, $search, paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from threecx_xapi.testing import XAPITestServer


def _values(api: httpx.Client, url: str) -> list[dict[str, Any]]:
    response = api.get(url)
    assert response.status_code == 200, response.text
    values: list[dict[str, Any]] = response.json()["value"]
    return values


def test_top_over_the_cap_answers_the_aspnet_message(api: httpx.Client) -> None:
    response = api.get("/xapi/v1/Contacts?$top=500")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "",
            "message": "The query specified in the URI is not valid. The limit of '100' for Top query has been "
            "exceeded. The value from the incoming request is '500'.",
        }
    }
    assert len(_values(api, "/xapi/v1/Contacts?$top=100")) == 100
    assert len(_values(api, "/xapi/v1/Users?$top=500")) == 100  # Users has no cap


def test_top_caps_are_configurable() -> None:
    server = XAPITestServer(top_caps={"Users": 7})
    from threecx_xapi.testing import SyncASGITransport

    from .helpers import BASE, fetch_token

    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, server)}"
        response = client.get("/xapi/v1/Users?$top=8")
        assert response.status_code == 400
        assert "The limit of '7' for Top query" in response.json()["error"]["message"]
        assert client.get("/xapi/v1/Contacts?$top=500").status_code == 200  # replaced, not merged


def test_paging_with_top_and_skip(api: httpx.Client) -> None:
    ids: list[int] = []
    for skip in (0, 100, 200):
        ids += [c["Id"] for c in _values(api, f"/xapi/v1/Contacts?$top=100&$skip={skip}")]
    assert sorted(ids) == list(range(1, 251))
    assert len(_values(api, "/xapi/v1/Contacts?$top=100&$skip=200")) == 50
    assert _values(api, "/xapi/v1/Contacts?$skip=300") == []


@pytest.mark.parametrize("option", ["$top=-1", "$top=abc", "$skip=1.5", "$count=maybe"])
def test_invalid_paging_values(api: httpx.Client, option: str) -> None:
    assert api.get(f"/xapi/v1/Users?{option}").status_code == 400


def test_filter_comparisons_functions_and_logic(api: httpx.Client) -> None:
    assert [u["Number"] for u in _values(api, "/xapi/v1/Users?$filter=Number eq '142'")] == ["142"]
    eleven = _values(api, "/xapi/v1/Users?$filter=startswith(Number,'11')")
    assert [u["Number"] for u in eleven] == [str(n) for n in range(110, 120)]
    alice = _values(api, "/xapi/v1/Users?$filter=tolower(EmailAddress) eq 'alice.andersen@example.com'")
    assert [u["Id"] for u in alice] == [1]
    both = _values(api, "/xapi/v1/Users?$filter=Id le 3 or (Id ge 99 and not (Id eq 100))")
    assert [u["Id"] for u in both] == [1, 2, 3, 99]
    listed = _values(api, "/xapi/v1/Users?$filter=Id in (5, 7, 1000)")
    assert [u["Id"] for u in listed] == [5, 7]
    assert _values(api, "/xapi/v1/Users?$filter=FirstName eq null") == []
    contains = _values(api, "/xapi/v1/Users?$filter=contains(FirstName,'ar') and Enabled eq true")
    assert contains and all("ar" in u["FirstName"] for u in contains)
    assert len(_values(api, "/xapi/v1/Users?$filter=Id add 1 eq 3")) == 1


def test_filter_lambda_over_a_navigation_collection(api: httpx.Client) -> None:
    sales = _values(api, "/xapi/v1/Users?$filter=Groups/any(g: g/GroupId eq 2)&$expand=Groups")
    assert len(sales) == 34
    assert all(any(g["GroupId"] == 2 for g in u["Groups"]) for u in sales)
    everyone = _values(api, "/xapi/v1/Users?$filter=Groups/any(g: g/Name eq 'DEFAULT')")
    assert len(everyone) == 100


def test_filter_on_dates(api: httpx.Client) -> None:
    all_calls = _values(api, "/xapi/v1/CallHistoryView")
    later = _values(api, "/xapi/v1/CallHistoryView?$filter=date(SegmentStartTime) ge 2025-03-03")
    assert 0 < len(later) < len(all_calls)
    assert all(c["SegmentStartTime"] >= "2025-03-03" for c in later)
    after = _values(api, "/xapi/v1/CallHistoryView?$filter=SegmentStartTime gt 2025-03-03T00:00:00Z")
    assert {c["SegmentId"] for c in after} == {c["SegmentId"] for c in later}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("Nope eq 1", "Could not find a property named 'Nope' on type 'Pbx.User'."),
        ("Id eq '5'", "incompatible types"),
        ("Number eq", "Syntax error"),
        ("frobnicate(Number)", "unknown function"),
        ("Groups/any(g: g/Nope eq 1)", "Could not find a property named 'Nope' on type 'Pbx.UserGroup'."),
    ],
)
def test_filter_errors_are_400(api: httpx.Client, expression: str, message: str) -> None:
    response = api.get(f"/xapi/v1/Users?$filter={expression}")
    assert response.status_code == 400
    assert message.lower() in response.json()["error"]["message"].lower()


def test_orderby_multiple_keys(api: httpx.Client) -> None:
    numbers = [u["Number"] for u in _values(api, "/xapi/v1/Users?$orderby=Number desc&$top=3")]
    assert numbers == ["199", "198", "197"]
    users = _values(api, "/xapi/v1/Users?$orderby=LastName asc,FirstName desc&$select=LastName,FirstName")
    pairs = [(u["LastName"], u["FirstName"]) for u in users]
    assert pairs == sorted(pairs, key=lambda p: (p[0], [-ord(c) for c in p[1]]))
    assert api.get("/xapi/v1/Users?$orderby=Nope").status_code == 400


def test_select_projects(api: httpx.Client) -> None:
    users = _values(api, "/xapi/v1/Users?$select=Id,FirstName,Number&$top=2")
    assert [set(u) for u in users] == [{"Id", "FirstName", "Number"}] * 2
    single = api.get("/xapi/v1/Users(1)?$select=EmailAddress").json()
    assert set(single) == {"@odata.context", "EmailAddress"}
    assert api.get("/xapi/v1/Users?$select=Nope").status_code == 400


def test_repeated_select_is_400(api: httpx.Client) -> None:
    response = api.get("/xapi/v1/Users?$select=Id&$select=Number")
    assert response.status_code == 400
    assert "more than once" in response.json()["error"]["message"]


def test_expand_navigation_properties(api: httpx.Client) -> None:
    plain = api.get("/xapi/v1/Users(1)").json()
    assert "Groups" not in plain  # navigation properties only when expanded
    assert "Hours" in plain  # complex properties always
    expanded = api.get("/xapi/v1/Users(1)?$expand=Groups").json()
    assert [g["Name"] for g in expanded["Groups"]] == ["DEFAULT", "Sales"]
    assert "Rights" not in expanded["Groups"][0]
    nested = api.get("/xapi/v1/Users(1)?$expand=Groups($expand=Rights;$select=Name,Rights)").json()
    assert nested["Groups"][0] == {"Name": "DEFAULT", "Rights": nested["Groups"][0]["Rights"]}
    assert nested["Groups"][0]["Rights"]["RoleName"] == "users"
    filtered = api.get("/xapi/v1/Groups(1)?$expand=Members($filter=Number eq '150';$select=Number)").json()
    assert filtered["Members"] == [{"Number": "150"}]
    response = api.get("/xapi/v1/Users(1)?$expand=FirstName")
    assert response.status_code == 400
    assert "not a navigation property" in response.json()["error"]["message"]


def test_count_is_before_paging(api: httpx.Client) -> None:
    body = api.get("/xapi/v1/Users?$filter=startswith(Number,'1')&$count=true&$top=5&$skip=10").json()
    assert body["@odata.count"] == 100
    assert len(body["value"]) == 5
    assert "@odata.count" not in api.get("/xapi/v1/Users?$top=1").json()
    contacts = api.get("/xapi/v1/Contacts?$count=true&$top=1").json()
    assert contacts["@odata.count"] == 250


def test_search(api: httpx.Client) -> None:
    acme = _values(api, "/xapi/v1/Contacts?$search=ACME")
    assert acme and all(c["CompanyName"] == "Acme Ltd" for c in acme)
    phrase = _values(api, '/xapi/v1/Contacts?$search="Stark %26 Co"')
    assert phrase and all(c["CompanyName"] == "Stark & Co" for c in phrase)
    both = _values(api, "/xapi/v1/Contacts?$search=acme OR hooli")
    assert {c["CompanyName"] for c in both} == {"Acme Ltd", "Hooli"}
    assert _values(api, "/xapi/v1/Users?$search=alice andersen") != []
    assert _values(api, '/xapi/v1/Users?$search="andersen alice"') == []  # one phrase, no field holds it


def test_query_options_apply_to_function_results(api: httpx.Client) -> None:
    from .helpers import CALL_LOG

    body = api.get(CALL_LOG + "?$top=1&$count=true").json()
    assert len(body["value"]) == 1 and body["@odata.count"] >= 1
    assert api.get(CALL_LOG + "?$filter=Nope eq 1").status_code == 400


def test_urlsearchparams_encoding(api: httpx.Client) -> None:
    """How 3CX's TypeScript client writes options: ``URLSearchParams`` (``%24``, ``+`` for space, ``%2C``)."""
    query = "%24top=2&%24select=Id%2CNumber%2CFirstName&%24filter=FirstName+eq+%27Alice%27&%24orderby=Number+desc"
    response = api.get(f"/xapi/v1/Users?{query}")
    assert response.status_code == 200
    assert response.json()["value"] == [
        {"Id": 79, "Number": "178", "FirstName": "Alice"},
        {"Id": 53, "Number": "152", "FirstName": "Alice"},
    ]
    assert api.get("/xapi/v1/Users?%24count=true&%24top=0").json()["@odata.count"] == 100


def test_alternate_key_select_and_nested_expand(api: httpx.Client) -> None:
    query = "$select=Id,Number,FirstName&$expand=Groups($expand=Rights;$select=Name,Rights)"
    user = api.get(f"/xapi/v1/Users(Number='100')?{query.replace(',', '%2C')}").json()
    assert user == {
        "@odata.context": "http://testserver/xapi/v1/$metadata#Users/$entity",
        "Id": 1,
        "Number": "100",
        "FirstName": "Alice",
        "Groups": [
            {"Name": "DEFAULT", "Rights": {"RoleName": "users", "AllowParking": True, "AllowToChangePresence": True}},
            {"Name": "Sales", "Rights": {"RoleName": "users", "AllowParking": True, "AllowToChangePresence": True}},
        ],
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ('"Ada \\"the first\\" Lovelace"', [1]),
        ('"Ada \\"the first"', [1]),
        ('"Ada \\"the second"', []),
        ('"C:\\\\dir"', [2]),
        ('Lovelace OR "C:\\\\dir"', [1, 2]),
    ],
)
def test_search_phrases_with_escapes(
    api: httpx.Client, server: XAPITestServer, search: str, expected: list[int]
) -> None:
    users = server.state.entity_set("Users").records()
    users[0]["DisplayName"] = 'Ada "the first" Lovelace'
    users[1]["DisplayName"] = "C:\\dir"
    response = api.get("/xapi/v1/Users", params={"$search": search, "$select": "Id"})
    assert response.status_code == 200
    assert [u["Id"] for u in response.json()["value"]] == expected


def test_search_as_the_sdk_writes_it(server: XAPITestServer) -> None:
    server.state.entity_set("Users").records()[0]["DisplayName"] = 'Ada "the first" Lovelace'
    with server.xapi() as pbx:
        found = pbx.users.list_user(search='Ada "the first', select=["Id"])  # the SDK quotes and escapes it
        assert [u.id for u in found.items] == [1]
        assert server.requests.last is not None
        assert "$search=%22Ada%20%5C%22the%20first%22" in server.requests.last.path
