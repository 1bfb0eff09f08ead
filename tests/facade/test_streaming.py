"""``with_streaming_response``: a file answer is handed over still on the wire and streams to disk.

A real server on 127.0.0.1 sends the first chunk of a recording, then holds the rest until the test lets it
go: the call must have returned by then, so the client cannot have loaded the body.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from threecx_xapi import XAPI, AsyncStreamedResponse, AsyncXAPI, File, NotFoundError, StreamedResponse

CHUNK = 64 * 1024
CHUNKS = 48  # 3 MiB, three times the client's body limit below: file answers are not held to it
BODY = bytes(range(256)) * (CHUNK * CHUNKS // 256)


class HeldRecording:
    """Serves ``DownloadRecording``: one chunk, then the rest once ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer.paths.append(self.path)
                if "recId=404" in self.path:
                    body = b'{"error": {"code": "", "message": "no such recording"}}'
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Disposition", 'attachment; filename="call 7.wav"')
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for index in range(CHUNKS):
                    if index == 1 and not outer.release.wait(10):
                        return
                    part = BODY[index * CHUNK : (index + 1) * CHUNK]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def recording() -> Iterator[HeldRecording]:
    held = HeldRecording()
    held.thread.start()
    yield held
    held.release.set()
    held.server.shutdown()
    held.server.server_close()


def test_a_file_answer_streams_to_disk_without_being_loaded(recording: HeldRecording, tmp_path: Path) -> None:
    with XAPI(recording.url, token="t", max_response_size=1024 * 1024, timeout=10) as pbx:
        with pbx.recordings.with_streaming_response.download_recording(7) as answer:
            assert isinstance(answer, StreamedResponse)
            assert not answer.http_response.is_stream_consumed  # the server still holds all but the first chunk
            assert (answer.status_code, answer.file_name) == (200, "call 7.wav")
            recording.release.set()
            written = answer.write_to(tmp_path / "call.wav")
        assert answer.http_response.is_closed
    assert written == len(BODY)
    assert (tmp_path / "call.wav").read_bytes() == BODY
    assert recording.paths == ["/xapi/v1/Recordings/Pbx.DownloadRecording(recId=7)"]


def test_without_streaming_the_same_answer_is_a_file_in_memory(recording: HeldRecording) -> None:
    recording.release.set()
    with XAPI(recording.url, token="t", max_response_size=1024 * 1024, timeout=10) as pbx:
        answer = pbx.recordings.download_recording(7)
    assert isinstance(answer, File)
    assert (answer.read(), answer.file_name, answer.mime_type) == (BODY, "call 7.wav", "audio/wav")


def test_a_streamed_call_parses_to_the_declared_type(recording: HeldRecording) -> None:
    recording.release.set()
    with (
        XAPI(recording.url, token="t", timeout=10) as pbx,
        pbx.recordings.with_streaming_response.download_recording(7) as answer,
    ):
        parsed = answer.parse()
    assert isinstance(parsed, File) and parsed.read() == BODY


def test_a_failed_streamed_call_raises_before_the_block(recording: HeldRecording) -> None:
    with (
        XAPI(recording.url, token="t", timeout=10) as pbx,
        pytest.raises(NotFoundError, match="no such recording"),
        pbx.recordings.with_streaming_response.download_recording(404),
    ):
        pytest.fail("the block runs only for a success")


def test_json_answers_through_the_streaming_wrapper_are_parsed_as_usual() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"Id": 1, "Number": "100"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with (
        http,
        XAPI("https://pbx.example.com", token="t", http_client=http) as pbx,
        pbx.users.with_streaming_response.get_user(1) as streamed,
    ):
        user = streamed.parse()
    assert (user.id, user.number) == (1, "100")


def test_async_streaming(recording: HeldRecording, tmp_path: Path) -> None:
    async def main() -> int:
        async with (
            AsyncXAPI(recording.url, token="t", timeout=10) as pbx,
            pbx.recordings.with_streaming_response.download_recording(7) as answer,
        ):
            assert isinstance(answer, AsyncStreamedResponse)
            assert not answer.http_response.is_stream_consumed
            recording.release.set()
            return await answer.write_to(tmp_path / "call.wav")

    assert asyncio.run(main()) == len(BODY)
    assert (tmp_path / "call.wav").read_bytes() == BODY
