"""Input: CSV, JSON and YAML rows with the PBX's or the SDK's column names; bad input refused before any request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from threecx_xapi import XAPI, XAPIError
from threecx_xapi.provision import Provisioner, ProvisionError, Row, read_rows
from threecx_xapi.testing import XAPITestServer

from .conftest import body, writes

CSV_PBX = "Number,FirstName,LastName,Enabled,PinProtectTimeout,group\n5000,Grace,Hopper,false,30,Sales\n"
CSV_SNAKE = "number,first_name,last_name,enabled,pin_protect_timeout,Group\n5000,Grace,Hopper,FALSE,30,sales\n"
JSON_PBX = {"Number": 5000, "FirstName": "Grace", "LastName": "Hopper", "Enabled": False, "PinProtectTimeout": 30}
JSON_PBX["group"] = "GRP0001"
JSON_SNAKE = {"number": "5000", "first_name": "Grace", "last_name": "Hopper", "enabled": "false", "group": 2}
JSON_SNAKE["pin_protect_timeout"] = "30"
YAML_PBX = "- Number: '5000'\n  FirstName: Grace\n  LastName: Hopper\n  Enabled: false\n  PinProtectTimeout: 30\n"
YAML_PBX += "  group: Sales\n"
YAML_SNAKE = "- number: 5000\n  first_name: Grace\n  last_name: Hopper\n  enabled: no\n  pin_protect_timeout: 30\n"
YAML_SNAKE += "  groups: [Sales]\n"
EXPECTED = {
    "Number": "5000",
    "FirstName": "Grace",
    "LastName": "Hopper",
    "Enabled": False,
    "PinProtectTimeout": 30,
    "Groups": [{"GroupId": 2, "Rights": {"RoleName": "users"}}],
}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("users.csv", CSV_PBX),
        ("users.csv", CSV_SNAKE),
        ("users.json", json.dumps([JSON_PBX])),
        ("users.json", json.dumps({"value": [JSON_SNAKE]})),
        ("users.yaml", YAML_PBX),
        ("users.yml", YAML_SNAKE),
    ],
)
def test_every_format_and_naming_sends_the_same_body(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    report = Provisioner(pbx, "users").apply(read_rows(path))

    assert [(r.row, r.action, r.status) for r in report] == [(1, "create", "ok")]
    assert [body(r) for r in writes(server)] == [EXPECTED]


def test_csv_rows_count_from_the_first_data_row_and_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("\ufeffNumber,FirstName\n5000,Ada\n\n5001,\n5002\n", "utf-8")

    assert read_rows(path) == [
        Row(1, {"Number": "5000", "FirstName": "Ada"}),
        Row(2, {"Number": "5001", "FirstName": ""}),
        Row(3, {"Number": "5002", "FirstName": ""}),
    ]


def test_an_empty_cell_leaves_the_field_alone_and_null_clears_it(server: XAPITestServer, pbx: XAPI) -> None:
    provisioner = Provisioner(pbx, "users")
    plan = provisioner.plan([{"Number": "100", "FirstName": "", "Mobile": None}])

    assert [(c.field, c.new) for c in plan.entries[0].changes] == [("Mobile", None)]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("u.csv", "Number,FirstNmae\n5000,Ada\n", "unknown column for Users: 'FirstNmae' (did you mean 'FirstName'?)"),
        ("u.csv", "Number,Id\n5000,7\n", "column 'Id': Id is the PBX's own key, assigned by it"),
        ("u.csv", "Number,FirstName,first_name\n5,A,B\n", "row 1: these columns name the same field: FirstName, f"),
        ("u.csv", "Number,FirstName\n5000,Ada,extra\n", "row 1 (line 2): 3 cells, the header has 2"),
        ("u.csv", "Number,Number\n5000,5001\n", "the header names Number twice"),
        ("u.csv", "Number,\n5000,\n", "column 2 of the header has no name"),
        ("u.csv", "", "no header row"),
        ("u.csv", "Number,FirstName\n", "no rows"),
        ("u.json", '[{"Number": 1,}]', "not valid JSON"),
        ("u.json", '{"Number": 1}', "expected a list of rows (objects), got dict"),
        ("u.json", "[[1, 2]]", "row 1: expected an object of column -> value, got a list"),
        ("u.yaml", "- Number: [1\n", "not valid YAML"),
        ("u.txt", "Number\n1\n", "cannot tell the format from the name"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    server: XAPITestServer, pbx: XAPI, tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    with pytest.raises(ProvisionError) as caught:
        Provisioner(pbx, "users").plan(read_rows(path))

    assert message in str(caught.value)
    assert isinstance(caught.value, XAPIError)
    assert len(server.requests) == 0  # not even a token


def test_an_unknown_key_or_entity_set_is_refused_before_any_request(server: XAPITestServer, pbx: XAPI) -> None:
    message = r"^--key 'EmailAdress' is not a field of User \(did you mean 'EmailAddress'\?\)$"
    with pytest.raises(ProvisionError, match=message):
        Provisioner(pbx, "users", key="EmailAdress").plan([{"Number": "1"}])
    with pytest.raises(ProvisionError, match="'userz' is not an entity set that can be provisioned; known: "):
        Provisioner(pbx, "userz")
    with pytest.raises(ProvisionError, match="no rows"):
        Provisioner(pbx, "users").plan([])
    assert len(server.requests) == 0


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match=r"missing\.csv: No such file or directory"):
        read_rows(tmp_path / "missing.csv")


def test_the_async_client_is_refused_with_a_clear_error(server: XAPITestServer) -> None:
    message = r"^Provisioner needs an XAPI client \(it applies on threads\), not AsyncXAPI$"
    with pytest.raises(ProvisionError, match=message):
        Provisioner(server.async_xapi(), "users")  # type: ignore[arg-type]


def test_entity_sets_are_found_by_any_spelling(pbx: XAPI) -> None:
    for name in ("RingGroups", "ring_groups", "ring-groups", "ringgroups"):
        assert Provisioner(pbx, name).kind.name == "RingGroups"
