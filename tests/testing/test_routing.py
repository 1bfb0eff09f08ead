"""Strict OData resource paths: function parameters, keys, alternate keys, as a PBX reads them."""

from __future__ import annotations

import httpx
import pytest

from .helpers import CALL_LOG

STATS = "/xapi/v1/ReportExtensionStatisticsByGroup/Pbx.GetExtensionStatisticsByGroupData"
STATS_ARGS = "groupNumber='GRP0001',periodFrom=2025-03-01T00:00:00Z,periodTo=2025-03-31T23:59:59Z,callArea=0"


def test_call_log_as_a_real_pbx_accepts_it(api: httpx.Client) -> None:
    response = api.get(CALL_LOG + "?$top=100&$skip=0&$orderby=SegmentId desc")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@odata.context"].endswith("$metadata#Collection(Pbx.CallLogData)")
    assert isinstance(body["value"], list) and body["value"]


@pytest.mark.parametrize(
    "args",
    [
        # wrong order: periodTo before periodFrom
        "periodTo=2025-03-31T23:59:59Z,groupNumber='GRP0001',periodFrom=2025-03-01T00:00:00Z,callArea=0",
        # a string unquoted
        "groupNumber=GRP0001,periodFrom=2025-03-01T00:00:00Z,periodTo=2025-03-31T23:59:59Z,callArea=0",
        # an integer quoted
        "groupNumber='GRP0001',periodFrom=2025-03-01T00:00:00Z,periodTo=2025-03-31T23:59:59Z,callArea='0'",
        # a parameter missing
        "groupNumber='GRP0001',periodFrom=2025-03-01T00:00:00Z,periodTo=2025-03-31T23:59:59Z",
        # an extra parameter
        STATS_ARGS + ",extra=1",
        # a date-time quoted
        "groupNumber='GRP0001',periodFrom='2025-03-01T00:00:00Z',periodTo=2025-03-31T23:59:59Z,callArea=0",
        # null where the parameter is not nullable (callArea is a required int)
        "groupNumber='GRP0001',periodFrom=2025-03-01T00:00:00Z,periodTo=2025-03-31T23:59:59Z,callArea=null",
    ],
    ids=["order", "unquoted-string", "quoted-int", "missing", "extra", "quoted-datetime", "null-not-nullable"],
)
def test_function_parameters_wrong_answer_404(api: httpx.Client, args: str) -> None:
    response = api.get(f"{STATS}({args})")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]["message"]
    assert message.startswith("No HTTP resource was found that matches the request GET '/xapi/v1/")


def test_function_parameters_right(api: httpx.Client) -> None:
    assert api.get(f"{STATS}({STATS_ARGS})").status_code == 200


def test_null_where_nullable_is_accepted(api: httpx.Client) -> None:
    args = STATS_ARGS.replace("groupNumber='GRP0001'", "groupNumber=null")
    assert api.get(f"{STATS}({args})").status_code == 200


@pytest.mark.parametrize("bad", ["2024-13-01T00:00:00Z", "2024-12-01 00:00:00Z", "yesterday", "2024-12-01T25:00:00Z"])
def test_malformed_datetime_is_400(api: httpx.Client, bad: str) -> None:
    response = api.get(CALL_LOG.replace("periodFrom=2024-12-01T00:00:00Z", f"periodFrom={bad}"))
    assert response.status_code == 400
    assert "Edm.DateTimeOffset" in response.json()["error"]["message"]


def test_null_for_non_nullable_datetime_in_call_log_is_404(api: httpx.Client) -> None:
    assert api.get(CALL_LOG.replace("periodTo=2024-12-31T23:59:59Z", "periodTo=null")).status_code == 404


def test_percent_encoded_path_is_decoded_first(api: httpx.Client) -> None:
    encoded = CALL_LOG.replace(":", "%3A").replace("'", "%27").replace("=", "%3D")
    assert api.get(encoded).status_code == 200


def test_functions_keep_their_parentheses(api: httpx.Client) -> None:
    assert api.get("/xapi/v1/Users/Pbx.GetFirstAvailableExtensionNumber()").status_code == 200
    assert api.get("/xapi/v1/Users/Pbx.GetFirstAvailableExtensionNumber").status_code == 404


def test_keys_and_alternate_keys(api: httpx.Client) -> None:
    by_id = api.get("/xapi/v1/Users(1)").json()
    assert by_id["Number"] == "100"
    assert by_id["@odata.context"].endswith("$metadata#Users/$entity")
    assert api.get("/xapi/v1/Users(Id=1)").json()["Number"] == "100"
    by_number = api.get("/xapi/v1/Users(Number='142')").json()
    assert by_number["Id"] == 43
    assert api.get("/xapi/v1/Users(Number=142)").status_code == 404  # a string key unquoted
    assert api.get("/xapi/v1/Users('1')").status_code == 404  # an int key quoted
    assert api.get("/xapi/v1/Users(99999)").status_code == 404
    assert api.get("/xapi/v1/Queues(Number='801')").json()["Name"] == "Support Queue"


def test_string_keys_are_quoted_with_doubled_quotes(api: httpx.Client) -> None:
    name = api.get("/xapi/v1/Backups").json()["value"][0]["FileName"]
    assert api.get(f"/xapi/v1/Backups('{name}')/Pbx.GetBackupExtras()").status_code == 200
    assert api.get("/xapi/v1/Backups('no''such.zip')/Pbx.GetBackupExtras()").status_code == 404
    assert api.delete(f"/xapi/v1/Backups({name})").status_code == 404  # unquoted
    assert api.delete(f"/xapi/v1/Backups('{name}')").status_code == 204


def test_uuid_keys_are_bare(api: httpx.Client) -> None:
    key = api.get("/xapi/v1/OAuthClients").json()["value"][0]["Id"]
    assert api.get(f"/xapi/v1/OAuthClients({key})").status_code == 200
    assert api.get(f"/xapi/v1/OAuthClients('{key}')").status_code == 404


def test_bound_operations_need_an_existing_entity(api: httpx.Client) -> None:
    assert api.get("/xapi/v1/Users(1)/Pbx.GenerateProvLink()").status_code == 200
    assert api.get("/xapi/v1/Users(4242)/Pbx.GenerateProvLink()").status_code == 404


def test_unknown_paths_and_methods(api: httpx.Client) -> None:
    assert api.get("/xapi/v1/NoSuchSet").status_code == 404
    assert api.get("/xapi/v1/Users(1)/NoSuchNav").status_code == 404
    response = api.put("/xapi/v1/Users(1)", json={})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"DELETE", "GET", "PATCH"}
    assert api.get("/elsewhere").status_code == 404
