"""Paging against real servers on 127.0.0.1: nothing lost, nothing doubled, no loop, no token to a stranger."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from threecx_xapi import XAPI, PageDriftWarning, XAPIError

Answer = Callable[[str, dict[str, str]], dict[str, Any]]


class Collection:
    """A server answering every GET with ``answer(path, query)`` as JSON; it records path and Authorization."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.seen: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Authorization")))
                split = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(split.query).items()}
                body = json.dumps(outer.answer(split.path, query)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], Collection]]:
    started: list[Collection] = []

    def start(answer: Answer) -> Collection:
        started.append(Collection(answer))
        return started[-1]

    yield start
    for collection in started:
        collection.close()


def users(numbers: range) -> list[dict[str, Any]]:
    return [{"Id": n, "Number": str(100 + n)} for n in numbers]


def client(collection: Collection) -> XAPI:
    return XAPI(collection.root, token="secret-token", max_retries=0)


def test_a_silent_top_cap_does_not_end_paging_while_the_count_says_more(serve: Any) -> None:
    def capped(path: str, query: dict[str, str]) -> dict[str, Any]:
        skip = int(query.get("$skip", "0"))
        return {"@odata.count": 7, "value": users(range(skip + 1, min(skip + 2, 7) + 1))}  # at most 2, whatever $top

    pbx = client(serve(capped))
    with pbx:
        numbers = [u.number for u in pbx.users.list_user(top=5, count=True)]
    assert numbers == [str(100 + n) for n in range(1, 8)]
    assert pbx.base_url.endswith("/xapi/v1")


def test_a_server_ignoring_skip_raises_instead_of_looping(serve: Any) -> None:
    collection = serve(lambda path, query: {"value": users(range(1, 4))})
    seen: list[str] = []
    with client(collection) as pbx, pytest.raises(XAPIError, match=r"ignore \$skip"):
        for user in pbx.users.list_user(top=3):
            seen.append(str(user.number))
    assert seen == ["101", "102", "103"]  # the first page once, then the error: no item twice
    assert collection.paths == ["/xapi/v1/Users?$top=3", "/xapi/v1/Users?$top=3&$skip=3"]


def test_a_changed_count_between_pages_warns_at_the_users_loop(serve: Any) -> None:
    def shrinking(path: str, query: dict[str, str]) -> dict[str, Any]:
        skip = int(query.get("$skip", "0"))
        total = 6 if skip == 0 else 5  # an item was deleted between the pages
        return {"@odata.count": total, "value": users(range(skip + 1, min(skip + 3, total) + 1))}

    with client(serve(shrinking)) as pbx:
        page = pbx.users.list_user(top=3, count=True)
        with pytest.warns(PageDriftWarning, match="changed from 6 to 5") as caught:
            line = sys._getframe().f_lineno + 1
            numbers = [u.number for u in page]
    assert numbers == ["101", "102", "103", "104", "105"]
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]


def test_limit_stops_after_n_items_and_asks_for_no_more(serve: Any) -> None:
    def listing(path: str, query: dict[str, str]) -> dict[str, Any]:
        skip, top = int(query.get("$skip", "0")), int(query["$top"])
        return {"value": users(range(skip + 1, skip + top + 1))}

    collection = serve(listing)
    with client(collection) as pbx:
        numbers = [u.number for u in pbx.users.list_user(top=2, limit=5)]
        assert [c.id for c in pbx.contacts.list_contact(limit=3)] == [1, 2, 3]
    assert numbers == ["101", "102", "103", "104", "105"]
    assert collection.paths == [
        "/xapi/v1/Users?$top=2",
        "/xapi/v1/Users?$top=2&$skip=2",
        "/xapi/v1/Users?$top=1&$skip=4",
        "/xapi/v1/Contacts?$top=3",
    ]


def test_a_relative_next_link_is_resolved_against_the_api_url(serve: Any) -> None:
    def linked(path: str, query: dict[str, str]) -> dict[str, Any]:
        if "$skiptoken" in query:
            return {"value": users(range(3, 5))}
        return {"value": users(range(1, 3)), "@odata.nextLink": "Users?$skiptoken=2"}

    collection = serve(linked)
    with client(collection) as pbx:
        numbers = [u.number for u in pbx.users.list_user()]
    assert numbers == ["101", "102", "103", "104"]
    assert collection.paths == ["/xapi/v1/Users", "/xapi/v1/Users?$skiptoken=2"]
    assert {auth for _, auth in collection.seen} == {"Bearer secret-token"}


@pytest.mark.parametrize("other", ["another port", "another scheme"])
def test_a_next_link_to_another_origin_is_refused_and_nothing_is_sent_there(serve: Any, other: str) -> None:
    stranger = serve(lambda path, query: {"value": []})
    elsewhere = stranger.root if other == "another port" else stranger.root.replace("http://", "https://")
    pbx_side = serve(lambda path, query: {"value": users(range(1, 3)), "@odata.nextLink": f"{elsewhere}/steal"})
    got: list[str] = []
    with client(pbx_side) as pbx, pytest.raises(XAPIError, match="another origin") as info:
        for user in pbx.users.list_user():
            got.append(str(user.number))
    assert got == ["101", "102"]
    assert stranger.seen == []  # neither the request nor the token went there
    assert "secret-token" not in str(info.value)


def test_extra_query_may_not_repeat_an_option_paging_manages(serve: Any) -> None:
    collection = serve(lambda path, query: {"value": []})
    with client(collection) as pbx:
        for option in ("$skip", "$top", "$filter"):
            with pytest.raises(ValueError, match=rf"extra_query may not set \{option}"):
                pbx.users.list_user(top=10, extra_query={option: "1"})
        pbx.users.list_user(top=10, extra_query={"custom": "x"})
    assert collection.paths == ["/xapi/v1/Users?$top=10&custom=x"]
