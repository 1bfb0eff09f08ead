"""``Fleet`` and ``AsyncFleet`` against real test servers: per-PBX values and errors, versions, bounds."""

from __future__ import annotations

import asyncio
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from threecx_xapi import (
    XAPI,
    APIConnectionError,
    AsyncFleet,
    AsyncXAPI,
    Fleet,
    FleetError,
    NotFoundError,
    ProfileError,
    UnsupportedOperationError,
    XAPIVersionWarning,
)
from threecx_xapi.testing import XAPITestServer

from .conftest import OLD_VERSION, PBXs

pytestmark = pytest.mark.filterwarnings("ignore::threecx_xapi.XAPIVersionWarning")  # b is an older build


@pytest.fixture
def clients(pbxs: PBXs) -> Iterator[dict[str, XAPI]]:
    made = {
        "a": pbxs.a.xapi(),
        "b": pbxs.b.xapi(),
        "c": XAPI(pbxs.c_url, client_id=pbxs.a.client_id, client_secret=pbxs.a.client_secret, max_retries=0),
    }
    yield made
    for client in made.values():
        client.close()


def _numbers(pbx: XAPI) -> list[str]:
    return [str(user.number) for user in pbx.users.list_user(top=3, limit=3, select=["Number"])]


def test_one_pbx_down_is_its_own_error_and_the_others_answer(pbxs: PBXs, clients: dict[str, XAPI]) -> None:
    result = Fleet(clients).run(lambda pbx: pbx.users.get_user(1, select=["Number"]).number)

    assert list(result) == ["a", "b", "c"]
    assert result.ok == {"a": "100", "b": "100"}
    assert list(result.failed) == ["c"]
    assert isinstance(result["c"].error, APIConnectionError)
    assert result.versions == {"a": "20.0.10", "b": OLD_VERSION, "c": None}
    assert result["a"].ok and not result["c"].ok and result["a"].duration > 0
    assert result["a"].result() == "100"
    with pytest.raises(APIConnectionError):
        result["c"].result()
    assert [r.path for r in pbxs.a.requests if r.path.startswith("/xapi")] == ["/xapi/v1/Users(1)?$select=Number"]
    assert repr(result) == "FleetResult(3 PBXs, 2 ok, 1 failed: c)"
    with pytest.raises(FleetError, match=r"^1 of 3 PBXs failed: c: APIConnectionError: ") as raised:
        result.raise_for_failures()
    assert list(raised.value.errors) == ["c"]
    assert isinstance(pickle.loads(pickle.dumps(raised.value)), FleetError)


def test_an_operation_an_older_pbx_lacks_is_named_with_its_version(pbxs: PBXs, clients: dict[str, XAPI]) -> None:
    del clients["c"]
    result = Fleet(clients).run(_numbers)

    assert result.ok == {"a": ["100", "101", "102"]}
    error = result["b"].error
    assert isinstance(error, UnsupportedOperationError) and isinstance(error, NotFoundError)
    assert (error.operation, error.pbx_version, error.xapi_version, error.status_code) == (
        "ListUser",
        OLD_VERSION,
        "20.0.10",
        404,
    )
    assert str(error).startswith(
        "operation ListUser (GET /xapi/v1/Users?$top=3&$select=Number) is not available on this PBX "
        f"(X-3CX-Version {OLD_VERSION} (older); this client speaks XAPI 20.0.10): it answered 404: "
        "No HTTP resource was found that matches the request GET '/xapi/v1/Users'."
    )
    assert result["b"].version == OLD_VERSION
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is UnsupportedOperationError and again.operation == "ListUser"


def test_a_missing_entity_on_an_older_pbx_stays_not_found(pbxs: PBXs, clients: dict[str, XAPI]) -> None:
    del clients["c"]
    result = Fleet(clients).run(lambda pbx: pbx.users.get_user(99999))
    for name in ("a", "b"):
        error = result[name].error
        assert type(error) is NotFoundError, (name, error)


def test_server_version_is_the_last_header_seen_and_shared_with_copies(pbxs: PBXs) -> None:
    with pbxs.b.xapi() as pbx:
        assert pbx.server_version is None
        copy = pbx.with_options(max_retries=0)
        with pytest.warns(XAPIVersionWarning):
            copy.users.get_user(1, select=["Id"])
        assert pbx.server_version == copy.server_version == OLD_VERSION
        with pytest.raises(NotFoundError):
            pbx.users.get_user(99999)
        assert pbx.server_version == OLD_VERSION


def test_threads_are_bounded_by_concurrency(pbxs: PBXs) -> None:
    """Six PBXs, two at a time: the calls meet in pairs at a barrier, and never a third joins."""
    active = 0
    peak = 0
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=10)

    def call(pbx: XAPI) -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            barrier.wait()  # breaks (and fails the test) unless two run at once
            return pbx.users.get_user(1, select=["Id"]).id
        finally:
            with lock:
                active -= 1

    six = {str(n): pbxs.a.xapi() for n in range(6)}  # an even number: nobody waits alone at the barrier
    result = Fleet(six, concurrency=2).run(call)
    assert result.failed == {}
    assert result.ok == {str(n): 1 for n in range(6)}
    assert peak == 2
    for client in six.values():
        client.close()


def test_async_fleet_awaits_each_pbx_under_a_semaphore(pbxs: PBXs) -> None:
    async def main() -> tuple[dict[str, int], dict[str, Exception], int]:
        active = peak = 0
        gate = asyncio.Event()

        async def call(pbx: AsyncXAPI) -> int:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            if active == 2:
                gate.set()
            await asyncio.wait_for(gate.wait(), 10)  # the first waits for the second: they overlap
            try:
                return (await pbx.users.get_user(1, select=["Id"])).id
            finally:
                active -= 1

        c = AsyncXAPI(pbxs.c_url, client_id="x", client_secret="y", max_retries=0)
        fleet = AsyncFleet({"a": pbxs.a.async_xapi(), "b": pbxs.b.async_xapi(), "c": c}, concurrency=2)
        async with fleet:
            result = await fleet.run(call)
        for name in fleet:
            await fleet[name].close()
        return result.ok, result.failed, peak

    ok, failed, peak = asyncio.run(main())
    assert ok == {"a": 1, "b": 1}
    assert list(failed) == ["c"] and isinstance(failed["c"], APIConnectionError)
    assert peak == 2


def test_from_profiles_reads_the_command_lines_profiles(pbxs: PBXs, config: Path) -> None:
    with Fleet.from_profiles(["b", "a"], config_dir=config, max_retries=0) as fleet:
        assert fleet.names == ["a", "b"]
        assert fleet["a"].base_url == pbxs.a.url + "/xapi/v1"
        assert fleet.run(lambda pbx: pbx.users.get_user(2, select=["Number"]).number).ok == {"a": "101", "b": "101"}
    with Fleet.from_profiles(config_dir=config, max_retries=0) as every:
        assert every.names == ["a", "b", "c"]
        assert list(every.run(lambda pbx: pbx.users.get_user(2).id).failed) == ["c"]
    with pytest.raises(ProfileError, match=r"no profile 'nope' \(profiles: a, b, c\)"):
        Fleet.from_profiles(["a", "nope"], config_dir=config)
    with pytest.raises(ProfileError, match="no profiles saved in"):
        Fleet.from_profiles(config_dir=config / "empty")
    with pytest.raises(TypeError, match="a list of profile names"):
        Fleet.from_profiles("a", config_dir=config)


def test_a_fleet_is_checked_when_made(pbxs: PBXs) -> None:
    with pbxs.a.xapi() as one, XAPI(pbxs.c_url, token="t") as other:
        named = Fleet([one, other])
        host_a, host_c = (url.removeprefix("http://") for url in (pbxs.a.url, pbxs.c_url))
        assert named.names == sorted([host_a, host_c]) and named[host_a] is one
        assert repr(Fleet({"x": one}, concurrency=3)) == "Fleet(x; concurrency=3)"
        with pytest.raises(ValueError, match="two clients for"):
            Fleet([one, one])
        with pytest.raises(ValueError, match="at least one PBX"):
            Fleet({})
        with pytest.raises(ValueError, match="concurrency must be a positive int"):
            Fleet({"x": one}, concurrency=0)
        with pytest.raises(TypeError, match="XAPI is not a AsyncXAPI"):
            AsyncFleet({"x": one})  # type: ignore[arg-type]


def test_the_test_server_refuses_an_unknown_missing_operation() -> None:
    with pytest.raises(ValueError, match="no such operation in the registry: NoSuchOp"):
        XAPITestServer(missing_operations={"NoSuchOp"})
