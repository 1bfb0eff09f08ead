"""Malformed and oversized requests: every one answers a 4xx OData error, none crashes or stalls the server."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import httpx
import pytest

from threecx_xapi.testing import SyncASGITransport, XAPITestServer

from .helpers import BASE, fetch_token


def _odata_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message: str = response.json()["error"]["message"]
    assert message
    return message


DEEP_EXPAND = "Groups($expand=" * 3000 + "Rights" + ")" * 3000
OR_CHAIN = " or ".join(f"Id eq {i}" for i in range(1500))


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("$top=²", 400, "requires a non-negative integer"),
        ("$top=\u0661", 400, "requires a non-negative integer"),
        ("$skip=\u0663", 400, "requires a non-negative integer"),
        ("$top=99999999999999999999", 400, "requires a non-negative integer"),
        ("$filter=Id eq \u0661", 400, "is not a valid Edm.Int64"),
        ("$expand=" + "Groups($expand=" * 8 + "Rights" + ")" * 8, 400, "$expand path which is too deep"),
        ("$expand=" + DEEP_EXPAND, 414, "longer than"),
        ("$filter=" + " or ".join(f"Id eq {i}" for i in range(600)), 400, "node count limit of '1000'"),
        ("$filter=" + OR_CHAIN, 414, "longer than"),
        ("$filter=Id mod 0.0 eq 1", 400, "Division by zero"),
        ("$filter=Id mod 0 eq 1", 400, "Division by zero"),
        ("$filter=round(1e400) eq 1", 400, "not a valid Edm.Double"),
        ("$filter=matchesPattern(FirstName,'(')", 400, "not a valid regular expression"),
        ("$filter=matchesPattern(FirstName,'" + "a" * 1001 + "')", 400, "longer than 1000 characters"),
        ("$search=\"unterminated", 400, "unterminated phrase"),
        ("$filter=" + "not " * 150 + "true", 400, "recursion limit"),
    ],
    ids=[
        "superscript-top", "arabic-top", "arabic-skip", "int64-overflow-top", "arabic-literal", "expand-depth",
        "expand-3000", "or-600", "or-1500", "mod-0.0", "mod-0", "round-1e400", "bad-regex", "long-regex",
        "search", "not-150",
    ],
)  # fmt: skip
def test_malformed_queries_answer_an_odata_4xx(api: httpx.Client, query: str, status: int, words: str) -> None:
    assert words in _odata_error(api.get(f"/xapi/v1/Users?{query}"), status)


def test_overflowing_date_arithmetic(api: httpx.Client) -> None:
    late = "SegmentStartTime add duration'P999999999D' gt 2020-01-01T00:00:00Z"
    assert "out of range" in _odata_error(api.get(f"/xapi/v1/CallHistoryView?$filter={late}"), 400)
    early = "SegmentStartTime sub duration'P999999999D' lt 2020-01-01T00:00:00Z"
    assert "out of range" in _odata_error(api.get(f"/xapi/v1/CallHistoryView?$filter={early}"), 400)


def test_orderby_over_durations_including_zero(api: httpx.Client, server: XAPITestServer) -> None:
    rows = server.state.entity_set("CallHistoryView").records()
    rows[0]["CallTime"] = "not a duration"  # what a client may have stored: still sorts, never a 500
    response = api.get("/xapi/v1/CallHistoryView?$orderby=CallTime desc&$select=CallTime")
    assert response.status_code == 200
    times = [item.get("CallTime") for item in response.json()["value"]]
    assert times[0] == "not a duration"
    assert times[-1] == "PT0S"


def test_duration_pt0s_is_a_duration(api: httpx.Client, server: XAPITestServer) -> None:
    unanswered = [r for r in server.state.records("CallHistoryView") if r["CallTime"] == "PT0S"]
    response = api.get("/xapi/v1/CallHistoryView?$filter=CallTime eq duration'PT0S'&$count=true&$top=0")
    assert response.json()["@odata.count"] == len(unanswered) > 0
    longer = api.get("/xapi/v1/CallHistoryView?$filter=CallTime gt duration'PT0S'&$count=true&$top=0")
    assert longer.json()["@odata.count"] == 60 - len(unanswered)


def test_a_body_nested_100000_deep(api: httpx.Client) -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        response = api.post("/xapi/v1/Users", content=body, headers={"Content-Type": "application/json"})
        assert "nested deeper than the limit of 64" in _odata_error(response, 400)
    shallow = {"FirstName": "Ada", "Phones": [{"Settings": {}}]}
    assert api.post("/xapi/v1/Users", json=shallow).status_code == 201


def test_unknown_routes_and_wrong_methods_answer_odata_errors(api: httpx.Client) -> None:
    missing = _odata_error(api.get("/xapi/v1/NoSuchSet"), 404)
    assert missing == "No HTTP resource was found that matches the request GET '/xapi/v1/NoSuchSet'."
    _odata_error(api.get("/elsewhere"), 404)
    _odata_error(api.get("/xapi/v1/Users(1"), 404)
    wrong = api.delete("/xapi/v1/Users")
    assert _odata_error(wrong, 405) == "The HTTP method 'DELETE' is not allowed on '/xapi/v1/Users'."
    assert wrong.headers["Allow"] == "GET, POST"
    token_get = api.get("/connect/token")
    _odata_error(token_get, 405)
    assert token_get.headers["Allow"] == "POST"


def test_bodies_over_the_limit_answer_413(server: XAPITestServer) -> None:
    small = XAPITestServer(max_body_size=100)
    with httpx.Client(transport=SyncASGITransport(small.asgi_app), base_url=BASE) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, small)}"
        too_large = client.post("/xapi/v1/Users", json={"FirstName": "x" * 200})
        assert "larger than the limit of 100 bytes" in _odata_error(too_large, 413)
        assert small.requests.last is not None and small.requests.last.body == b""  # not kept
        assert client.post("/xapi/v1/Users", json={"FirstName": "Ada"}).status_code == 201


def test_413_and_414_on_the_wire() -> None:
    with XAPITestServer(max_body_size=1000) as server, httpx.Client(base_url=server.url) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, server)}"

        def chunks() -> object:
            for _ in range(10):
                yield b"x" * 500

        streamed = client.post("/xapi/v1/Users", content=chunks(), headers={"Content-Type": "application/json"})  # type: ignore[arg-type]
        _odata_error(streamed, 413)
        long_url = client.get("/xapi/v1/Users?$filter=" + quote(OR_CHAIN))
        _odata_error(long_url, 414)
        assert client.get("/xapi/v1/Users?$top=1").status_code == 200


def test_download_names_are_rfc_6266(api: httpx.Client) -> None:
    name = 'Grüße "quoted"\r\nX-Injected: 1.wav'
    response = api.get("/xapi/v1/Users/Pbx.DownloadGreeting(userId=1,fileName=" + quote("'" + name + "'") + ")")
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert "x-injected" not in {k.lower() for k in response.headers}
    assert disposition == (
        'attachment; filename="Gr__e _quoted___X-Injected: 1.wav"; '
        "filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22quoted%22%0D%0AX-Injected%3A%201.wav"
    )


def test_a_slow_filter_does_not_stall_other_clients() -> None:
    """A pattern that backtracks for ever is cut off within its budget while other requests are answered."""
    slow = quote("matchesPattern(concat('aaaaaaaaaaaaaaaaaaaaaaaaaaaa',FirstName),'^(?:a|a)*(?:a|a)*(?:a|a)*(?!)')")
    with XAPITestServer() as server, httpx.Client(base_url=server.url, timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, server)}"
        outcome: list[httpx.Response] = []
        worker = threading.Thread(target=lambda: outcome.append(client.get(f"/xapi/v1/Contacts?$filter={slow}")))
        started = time.perf_counter()
        worker.start()
        token_answered = httpx.post(
            f"{server.url}/connect/token",
            data={"client_id": "x", "client_secret": "y", "grant_type": "client_credentials"},
        )
        assert token_answered.status_code == 401
        worker.join(timeout=20)
        assert time.perf_counter() - started < 10  # generous: the budget is a quarter of a second
        assert "took too long" in _odata_error(outcome[0], 400)
