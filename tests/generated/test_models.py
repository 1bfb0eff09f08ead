"""Generated models as a user meets them: ``T | None`` fields, ``fields_set``, what a PATCH sends, secrets in
``repr``, entity keys, and ``threecx_xapi.types`` as the one place to import them from."""

from __future__ import annotations

import copy
import enum
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from threecx_xapi_client.models.concealed_password import ConcealedPassword
from threecx_xapi_client.models.o_data_errors_o_data_error import ODataErrorsODataError
from threecx_xapi_client.models.trunk import Trunk
from threecx_xapi_client.models.user import User
from threecx_xapi_client.models.user_collection_response import UserCollectionResponse

import threecx_xapi.types
from threecx_xapi.testing import XAPITestServer
from threecx_xapi.types import Model, QueueStatusType

REPO = Path(__file__).resolve().parents[2]
SECRETS = {"AuthPassword": "sip-9Qv", "AccessPassword": "web-7Xk", "DeskphonePassword": "desk-3Lm", "VMPIN": "4711"}


# --- reading ----------------------------------------------------------------------------------------------


def test_fields_set_names_what_the_pbx_sent_null_included() -> None:
    user = User.from_dict({"Id": 7, "FirstName": None, "QueueStatus": "LoggedIn"})
    assert (user.id, user.first_name, user.last_name) == (7, None, None)
    assert user.queue_status is QueueStatusType.LOGGEDIN
    assert user.fields_set == {"id", "first_name", "queue_status"}
    assert user.to_dict() == {"Id": 7, "FirstName": None, "QueueStatus": "LoggedIn"}


def test_an_entity_key_reads_as_its_type_and_says_so_when_it_was_not_sent() -> None:
    user = User.from_dict({"Number": "100"})
    with pytest.raises(AttributeError, match=r"User\.id was not sent by the PBX \(left out by select=\?\)"):
        _ = user.id
    assert getattr(user, "id", None) is None
    assert "id" not in user.fields_set


def test_nested_errors_name_the_path_by_wire_names() -> None:
    with pytest.raises(TypeError, match=r"^UserCollectionResponse\.value: User\.Groups: UserGroup: expected a JSON"):
        UserCollectionResponse.from_dict({"value": [{"Groups": ["DEFAULT"]}]})
    with pytest.raises(TypeError, match=r"^User\.Groups: expected a JSON array, got dict"):
        User.from_dict({"Groups": {"GroupId": 1}})
    with pytest.raises(TypeError, match="User: expected a JSON object, got list"):
        User.from_dict([])  # type: ignore[arg-type]


def test_keys_in_another_order_or_unknown_keys_read_the_same() -> None:
    first = User.from_dict({"Id": 1, "Number": "100", "FirstName": "Ada"})
    again = User.from_dict({"FirstName": "Ada", "Id": 1, "Number": "100"})
    assert first == again
    newer = User.from_dict({"Id": 1, "Number": "100", "FirstName": "Ada", "NewIn21": [1]})
    assert newer.first_name == "Ada"
    assert newer.additional_properties == {"NewIn21": [1]}
    assert newer != first
    assert newer.to_dict() == {"Id": 1, "Number": "100", "FirstName": "Ada", "NewIn21": [1]}


def test_required_keys_of_the_error_model_are_checked() -> None:
    with pytest.raises(TypeError, match="ODataErrorsODataError: required key"):
        ODataErrorsODataError.from_dict({})


# --- building ---------------------------------------------------------------------------------------------


def test_a_model_built_for_a_patch_sends_exactly_the_fields_set() -> None:
    user = User(first_name="Ada", email_address=None)
    user.last_name = "Lovelace"
    assert user.fields_set == {"first_name", "email_address", "last_name"}
    assert user.to_dict() == {"FirstName": "Ada", "EmailAddress": None, "LastName": "Lovelace"}
    del user.email_address
    assert user.to_dict() == {"FirstName": "Ada", "LastName": "Lovelace"}


def test_a_patch_with_a_model_on_the_wire() -> None:
    with XAPITestServer() as server:
        pbx = server.xapi()
        created = pbx.users.create_user(body=User(number="4711", first_name="Ada", email_address="ada@example.com"))
        server.requests.clear()
        pbx.users.update_user(created.id, body=User(first_name="Grace", last_name=None))
        (request,) = server.requests.matching(f"/xapi/v1/Users({created.id})", "PATCH")
        assert json.loads(request.body) == {"FirstName": "Grace", "LastName": None}
        pbx.close()


def test_wrong_field_names_are_refused() -> None:
    with pytest.raises(TypeError, match=r"User\(\) got an unexpected keyword argument 'frist_name'"):
        User(frist_name="Ada")  # type: ignore[call-arg]
    user = User()
    with pytest.raises(AttributeError, match="User has no field 'frist_name'"):
        user.frist_name = "Ada"  # type: ignore[attr-defined]


def test_copies_pickles_and_equality() -> None:
    user = User.from_dict({"Id": 1, "Groups": [{"GroupId": 2, "Name": "DEFAULT"}], "Unknown": 1})
    for clone in (pickle.loads(pickle.dumps(user)), copy.deepcopy(user), copy.copy(user)):
        assert clone == user
        assert clone.fields_set == user.fields_set
        assert clone.additional_properties == {"Unknown": 1}
    assert User(first_name="Ada") != User(first_name="Ada", last_name=None)
    with pytest.raises(TypeError):
        hash(user)


# --- secrets ----------------------------------------------------------------------------------------------


def test_repr_hides_secrets_and_the_values_stay_readable() -> None:
    user = User.from_dict({"Id": 3, "Number": "100", **SECRETS})
    shown = repr(user)
    for value in SECRETS.values():
        assert value not in shown
    assert shown == (
        "User(id=3, number='100', auth_password='***', access_password='***', deskphone_password='***', vmpin='***')"
    )
    assert (user.auth_password, user.vmpin) == ("sip-9Qv", "4711")
    assert user.to_dict() == {"Id": 3, "Number": "100", **SECRETS}
    assert repr(User(auth_password=None)) == "User(auth_password=None)"


def test_secrets_nested_in_concealed_values_and_lists_are_hidden() -> None:
    trunk = Trunk.from_dict({"Id": 1, "AuthPassword": {"Concealed": False, "Value": "trunk-pw-55"}})
    page = UserCollectionResponse.from_dict({"value": [{"VMPIN": "9911"}]})
    assert "trunk-pw-55" not in repr(trunk) and "9911" not in repr(page)
    assert repr(trunk.auth_password) == "ConcealedPassword(concealed=False, value='***')"
    assert isinstance(trunk.auth_password, ConcealedPassword) and trunk.auth_password.value == "trunk-pw-55"


def test_values_of_unknown_keys_are_not_shown() -> None:
    user = User.from_dict({"Id": 1, "NewSipSecret": "x-77-secret"})
    assert repr(user) == "User(id=1, additional_keys=['NewSipSecret'])"


def test_every_model_marks_the_secret_fields_schemas_json_lists() -> None:
    schemas = json.loads((REPO / "generated" / "threecx_xapi_client" / "schemas.json").read_text("utf-8"))
    listed = {name: set(schema["secret_fields"]) for name, schema in schemas.items() if "secret_fields" in schema}
    assert {"AccessPassword", "AuthPassword", "DeskphonePassword", "VMPIN"} <= listed["User"]
    assert listed["ConcealedPassword"] == {"Value"}
    for name, wire_names in listed.items():
        cls = getattr(threecx_xapi.types, name)
        assert {cls._python_names[python] for python in cls._secret_fields} == wire_names, name


# --- one place to import from -----------------------------------------------------------------------------


def test_types_resolves_every_model_and_enum() -> None:
    import threecx_xapi_client.models as models

    for name in models.__all__:
        value = getattr(threecx_xapi.types, name)
        assert value is getattr(models, name)
        assert issubclass(value, (Model, enum.Enum)), name
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchModel'"):
        _ = threecx_xapi.types.NoSuchModel
    assert issubclass(threecx_xapi.types.User, Model)


def test_field_names_do_not_shadow_the_model_api() -> None:
    import threecx_xapi_client.models as models

    reserved = {name for name in dir(Model) if not name.startswith("_")}
    for name in models.__all__:
        cls = getattr(models, name)
        if isinstance(cls, type) and issubclass(cls, Model):
            assert not reserved & set(cls._python_names), name


@pytest.mark.parametrize("module", ["threecx_xapi_client.models.user", "threecx_xapi", "threecx_xapi.types"])
def test_imports_in_a_fresh_process(module: str) -> None:
    code = f"import {module}; from threecx_xapi.types import User; print(User.from_dict({{'Id': 1}}).id)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "1\n", "")


# --- the user's script under mypy --strict ----------------------------------------------------------------

USER_SCRIPT = """
from threecx_xapi import XAPI
from threecx_xapi.types import QueueStatusType, User


def rename(pbx: XAPI, number: str) -> str | None:
    created = pbx.users.create_user(body=User(number=number, first_name="Ada"))
    pbx.users.update_user(created.id, body=User(first_name="Grace", last_name=None))
    if created.queue_status is QueueStatusType.LOGGEDIN:
        return None
    return created.first_name
"""

WRONG_SCRIPT = """
from threecx_xapi.types import User

user = User(first_name=1, frist_name="Ada")
name: str = user.first_name
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source), "utf-8")
    env = {**os.environ, "MYPYPATH": ""}
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(REPO / ".mypy_cache"), str(script)]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path, env=env)


def test_a_user_script_type_checks_under_mypy_strict_without_narrowing(tmp_path: Path) -> None:
    result = _mypy(tmp_path, USER_SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_catches_wrong_field_names_types_and_missing_narrowing(tmp_path: Path) -> None:
    result = _mypy(tmp_path, WRONG_SCRIPT)
    assert result.returncode == 1
    assert 'Argument "first_name" to "User" has incompatible type "int"' in result.stdout
    assert 'Unexpected keyword argument "frist_name" for "User"' in result.stdout
    assert 'Incompatible types in assignment (expression has type "str | None", variable has type "str")' in (
        result.stdout
    )
