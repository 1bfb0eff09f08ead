"""Downloads that the document declares as JSON collections, answered by a PBX with a file; OData value wrappers."""

from __future__ import annotations

import httpx
import pytest

from threecx_xapi import XAPI, File, SyncPage, XAPIError

CSV = b"Number,FirstName\r\n100,Ada\r\n101,Linus\r\n"


def pbx(answer: httpx.Response | list[httpx.Response]) -> tuple[XAPI, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    answers = answer if isinstance(answer, list) else [answer]

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1]

    client = XAPI("https://pbx.example.com", token="t", http_client=httpx.Client(transport=httpx.MockTransport(handle)))
    return client, seen


def test_a_paged_export_answered_with_csv_returns_the_file() -> None:
    headers = {"content-type": "text/csv", "content-disposition": 'attachment; filename="extensions.csv"'}
    client, seen = pbx(httpx.Response(200, content=CSV, headers=headers))
    result = client.users.export_extensions(top=50)
    assert isinstance(result, File)
    assert result.payload.read() == CSV
    assert (result.mime_type, result.file_name) == ("text/csv", "extensions.csv")
    assert len(seen) == 1  # no page was requested after the file


def test_the_raw_variant_keeps_the_response_beside_the_file() -> None:
    client, _ = pbx(httpx.Response(200, content=CSV, headers={"content-type": "text/csv"}))
    raw = client.users.with_raw_response.export_extensions()
    assert isinstance(raw.parsed, File)
    assert raw.status_code == 200


def test_a_paged_export_answered_with_json_is_a_page() -> None:
    client, _ = pbx(httpx.Response(200, json={"value": [{"Id": 1, "Number": "100"}]}))
    page = client.users.export_extensions()
    assert isinstance(page, SyncPage)
    assert [u.number for u in page] == ["100"]


def test_a_file_on_a_later_page_is_an_error_not_a_silent_end() -> None:
    full = httpx.Response(200, json={"value": [{"Id": i, "Number": str(i)} for i in range(2)]})
    client, _ = pbx([full, httpx.Response(200, content=CSV, headers={"content-type": "text/csv"})])
    page = client.users.export_extensions(top=2)
    assert isinstance(page, SyncPage)
    with pytest.raises(XAPIError, match="later page"):
        list(page.auto_paging())


@pytest.mark.parametrize(
    "body",
    [{"@odata.context": "https://pbx/xapi/v1/$metadata#Pbx.RemoteAccessStatus", "value": "Enabled"}, "Enabled"],
    ids=["odata-wrapped", "bare"],
)
def test_an_enum_result_is_read_wrapped_or_bare(body: object) -> None:
    client, _ = pbx(httpx.Response(200, json=body))
    status = client.system_status.get_remote_access_status()
    assert status == "Enabled"
