"""What provisioning needs of the test server: memberships checked and filled in, e-mail addresses unique
whatever their case, and faults aimed at one HTTP method."""

from __future__ import annotations

import pytest

from threecx_xapi import XAPI, BadRequestError
from threecx_xapi.testing import XAPITestServer

from .conftest import user


def test_a_membership_of_a_group_that_does_not_exist_is_refused(server: XAPITestServer, pbx: XAPI) -> None:
    with pytest.raises(BadRequestError) as refused:
        pbx.users.create_user(body={"Number": "5000", "Groups": [{"GroupId": 99, "Rights": {"RoleName": "users"}}]})

    details = [(d.target, d.message) for d in refused.value.details]
    assert details == [("Groups[0].GroupId", "WARNINGS.XAPI.INVALID_VALUE")]
    assert refused.value.message == "Groups[0].GroupId:\nWARNINGS.XAPI.INVALID_VALUE"
    assert [u for u in server.state.records("Users") if u["Number"] == "5000"] == []


def test_a_stored_membership_carries_its_group_name_and_number(server: XAPITestServer, pbx: XAPI) -> None:
    target = user(server, "100")
    pbx.users.update_user(id=target["Id"], body={"Groups": [{"GroupId": 3, "Rights": {"RoleName": "managers"}}]})

    stored = user(server, "100")["Groups"]
    assert stored == [{"GroupId": 3, "Rights": {"RoleName": "managers"}, "Name": "Support", "Number": "GRP0002"}]


def test_an_email_address_in_use_is_refused_whatever_its_case(server: XAPITestServer, pbx: XAPI) -> None:
    taken = user(server, "100")["EmailAddress"]
    with pytest.raises(BadRequestError) as refused:
        pbx.users.create_user(body={"Number": "5000", "EmailAddress": taken.upper()})

    assert refused.value.message == "EmailAddress:\nWARNINGS.XAPI.ALREADY_IN_USE"


def test_a_fault_for_one_method_leaves_the_others_alone(server: XAPITestServer, pbx: XAPI) -> None:
    server.faults.fail_next(400, method="POST", path="/Users")
    assert pbx.users.get_user(id=1).number == "100"  # a GET to the same path is not hit
    with pytest.raises(BadRequestError):
        pbx.users.create_user(body={"Number": "5000"})
    assert pbx.users.create_user(body={"Number": "5001"}).number == "5001"
    assert server.faults.pending() == 0
