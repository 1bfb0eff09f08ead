"""2xx answers that are not what the operation declares: an ``APIResponseValidationError``, from a real server.

A scalar of the wrong type inside a model is kept by default (as the PBX sent it) and refused with
``strict_response_validation=True``.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from threecx_xapi import XAPI, APIResponseValidationError, XAPIError


class Answers:
    """A server on 127.0.0.1 answering every GET with ``status``, ``content_type`` and ``body``."""

    def __init__(self) -> None:
        self.status, self.content_type, self.body = 200, "application/json", b"{}"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.send_response(outer.status)
                self.send_header("Content-Type", outer.content_type)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self, **options: object) -> XAPI:
        return XAPI(f"http://127.0.0.1:{self.server.server_address[1]}", token="tok-123", max_retries=0, **options)  # type: ignore[arg-type]


@pytest.fixture
def answers() -> Iterator[Answers]:
    server = Answers()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.parametrize(
    ("content_type", "body", "problem"),
    [
        ("text/html", b"<html><title>Sign in</title></html>", "is not valid JSON"),
        ("application/json", b"", "is empty"),
        ("application/json", b'{"Id": 1, "Number": "10', "is not valid JSON"),
        ("application/json", b'[{"Id": 1}]', "does not match the declared type"),
        ("application/json", b'{"Id": 1, "Groups": "not a list"}', "does not match the declared type"),
        ("application/json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_a_body_that_is_not_the_declared_model(answers: Answers, content_type: str, body: bytes, problem: str) -> None:
    answers.content_type, answers.body = content_type, body
    with answers.client() as pbx, pytest.raises(APIResponseValidationError) as info:
        pbx.users.get_user(1)
    error = info.value
    assert isinstance(error, XAPIError)
    assert problem in str(error)
    assert (error.method, error.status_code) == ("GET", 200)
    assert error.url.endswith("/xapi/v1/Users(1)")
    assert len(error.excerpt) <= 200
    assert "tok-123" not in str(error) and b"tok-123" not in pickle.dumps(error)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


@pytest.mark.parametrize(
    "body",
    [b'{"value": "nope"}', b'{"value": [], "@odata.count": "5"}', b'{"items": []}'],
)
def test_a_page_that_is_not_a_collection(answers: Answers, body: bytes) -> None:
    answers.body = body
    with answers.client() as pbx, pytest.raises(APIResponseValidationError, match="does not match the declared type"):
        pbx.users.list_user(top=5)


def test_an_echoed_secret_is_blanked_in_the_excerpt(answers: Answers) -> None:
    answers.content_type = "text/html"
    answers.body = b"<p>" + b"x" * 150 + b' Authorization: Bearer eyJhbGciOi.eyJzdWIiOiJ4In0.c2lnbmF0dXJl "</p>'
    with answers.client() as pbx, pytest.raises(APIResponseValidationError) as info:
        pbx.users.get_user(1)
    assert "c2lnbmF0dXJl" not in str(info.value) and "eyJzdWIiOiJ4In0" not in str(info.value)


def test_a_scalar_of_the_wrong_type_is_kept_by_default_and_refused_when_strict(answers: Answers) -> None:
    answers.body = b'{"Id": 1, "Number": 100, "Groups": [{"GroupId": "seven"}]}'
    with answers.client() as pbx:
        user = pbx.users.get_user(1)
    assert user.number == 100  # type: ignore[comparison-overlap]  # as the PBX sent it
    with answers.client(strict_response_validation=True) as strict, pytest.raises(APIResponseValidationError) as info:
        strict.users.get_user(1)
    assert "answer.Number: expected str or NoneType, got int 100" in str(info.value)

    answers.body = b'{"Id": 1, "Number": "100", "Groups": [{"GroupId": "seven"}]}'
    with answers.client(strict_response_validation=True) as strict, pytest.raises(APIResponseValidationError) as info:
        strict.users.get_user(1)
    assert "answer.Groups[0].GroupId: expected int or NoneType, got str 'seven'" in str(info.value)

    answers.body = b'{"value": [{"Id": 1, "Number": "100"}, {"Id": true, "Number": "101"}]}'
    with answers.client(strict_response_validation=True) as strict, pytest.raises(APIResponseValidationError) as info:
        strict.users.list_user(top=5)
    assert "answer[1].Id: expected int, got bool True" in str(info.value)


def test_strict_validation_passes_what_the_test_server_sends() -> None:
    from threecx_xapi.testing import XAPITestServer

    with XAPITestServer() as server, server.xapi(strict_response_validation=True) as pbx:
        assert len(list(pbx.users.list_user(top=50))) > 5
        assert pbx.users.get_user(next(iter(pbx.users.list_user(top=1))).id).number
