"""What answers look like: files for downloads, null and zero keys left out, headers, the document, samples."""

from __future__ import annotations

import csv
import io
import pathlib
import zipfile

import httpx

from threecx_xapi.testing import SyncASGITransport, XAPITestServer
from threecx_xapi.testing._files import content_for

from .helpers import BASE, CALL_LOG, fetch_token


def test_report_download_is_csv(api: httpx.Client) -> None:
    url = CALL_LOG.replace("GetCallLogData", "DownloadCallLog").replace("hidePcalls=true)", "hidePcalls=true,")
    response = api.get(url + "clientTimeZone='Europe/London')")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="CallLog.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) == 3 and rows[0]


def test_export_extensions_holds_the_users(api: httpx.Client) -> None:
    response = api.get("/xapi/v1/Users/Pbx.ExportExtensions()")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 100
    assert rows[0]["Number"] == "100" and rows[0]["FirstName"] == "Alice"


def test_audio_downloads_are_wav(api: httpx.Client) -> None:
    recording = api.get("/xapi/v1/Recordings/Pbx.DownloadRecording(recId=7)")
    assert recording.headers["content-type"] == "audio/wav"
    assert recording.content[:4] == b"RIFF" and recording.content[8:12] == b"WAVE"
    greeting = api.get("/xapi/v1/Users/Pbx.DownloadGreeting(userId=1,fileName='hello.wav')")
    assert greeting.headers["content-type"] == "audio/wav"
    assert greeting.headers["content-disposition"] == 'attachment; filename="hello.wav"'
    playlist = api.get("/xapi/v1/Playlists/Pbx.DownloadPlaylistFile(playlistKey='moh',fileName='track1')")
    assert playlist.headers["content-type"] == "audio/wav"


def test_backup_files_are_zip() -> None:
    download = content_for("DownloadBackup", {}, [])
    assert download.media_type == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(download.content)).namelist() == ["backup.xml"]


def test_omit_empty_leaves_out_null_and_zero(api: httpx.Client) -> None:
    assert api.patch("/xapi/v1/Users(1)", json={"PinProtectTimeout": 0, "LastName": None}).status_code == 204
    user = api.get("/xapi/v1/Users(1)").json()
    assert "PinProtectTimeout" not in user and "LastName" not in user
    assert user["Enabled"] is True  # booleans are not "zero"


def test_keep_empty_sends_null_and_zero() -> None:
    server = XAPITestServer(omit_empty=False)
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, server)}"
        client.patch("/xapi/v1/Users(1)", json={"PinProtectTimeout": 0, "LastName": None})
        user = client.get("/xapi/v1/Users(1)").json()
    assert user["PinProtectTimeout"] == 0 and user["LastName"] is None


def test_every_response_has_the_version_header(api: httpx.Client, anon: httpx.Client) -> None:
    responses = [
        api.get("/xapi/v1/Users?$top=1"),
        api.get("/xapi/v1/Nope"),
        api.delete("/xapi/v1/Users(1)"),
        anon.get("/xapi/v1/Users"),
        anon.post("/connect/token", data={}),
    ]
    assert {r.headers["X-3CX-Version"] for r in responses} == {"20.0.10"}


def test_no_content_operations_answer_204(api: httpx.Client) -> None:
    response = api.post("/xapi/v1/Users(1)/Pbx.SendWelcomeEmail")
    assert response.status_code == 204 and response.content == b""


def test_swagger_yaml_is_served_without_a_token() -> None:
    document = b"openapi: 3.0.4\ninfo:\n  title: XAPI\n"
    server = XAPITestServer(swagger=document)
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        response = client.get("/xapi/v1/swagger.yaml")
    assert response.status_code == 200
    assert response.content == document
    assert response.headers["content-type"].startswith("application/yaml")


def test_swagger_yaml_from_a_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "xapi.yaml"
    path.write_bytes(b"openapi: 3.0.4\n")
    server = XAPITestServer(swagger=path)
    with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
        assert client.get("/xapi/v1/swagger.yaml").content == b"openapi: 3.0.4\n"


def test_swagger_yaml_is_404_without_a_document(anon: httpx.Client) -> None:
    assert anon.get("/xapi/v1/swagger.yaml").status_code == 404


def test_answers_are_deterministic_by_seed() -> None:
    def answer(seed: int) -> tuple[bytes, bytes]:
        server = XAPITestServer(seed=seed)
        with httpx.Client(transport=SyncASGITransport(server.asgi_app), base_url=BASE) as client:
            client.headers["Authorization"] = f"Bearer {fetch_token(client, server)}"
            system = client.get("/xapi/v1/SystemStatus").content
            trunk = client.get("/xapi/v1/Trunks/Pbx.InitTrunk(template='generic.pv.xml')").content
            assert client.get("/xapi/v1/SystemStatus").content == system  # same answer twice
        return system, trunk

    assert answer(1) == answer(1)
    assert answer(1) != answer(2)


def test_collection_answers_carry_the_context(api: httpx.Client) -> None:
    body = api.get("/xapi/v1/Groups").json()
    assert body["@odata.context"] == "http://testserver/xapi/v1/$metadata#Groups"
    assert [g["Name"] for g in body["value"]] == ["DEFAULT", "Sales", "Support", "Finance"]
