"""SyncPage / AsyncPage against a fake entity set of records 1..n that pages, caps $top and links like XAPI."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threecx_xapi._exceptions import BadRequestError, NotFoundError, XAPIError
from threecx_xapi._paging import AsyncPage, PageData, PageParams, SyncPage, top_cap_from_error
from threecx_xapi._status_errors import status_error_from_response

URL = "https://pbx/xapi/v1/Contacts"
CONTEXT = "https://pbx/xapi/v1/$metadata#Contacts"
CAP_TEXT = (
    "The query specified in the URI is not valid. The limit of '{cap}' for Top query has been exceeded. "
    "The value from the incoming request is '{asked}'."
)
MODES = ["sync", "async"]


def cap_error(cap: int = 100, asked: int | None = 500) -> BadRequestError:
    body = {"error": {"code": "", "message": CAP_TEXT.format(cap=cap, asked=asked)}}
    request = httpx.Request("GET", f"{URL}?$top={asked}")
    error = status_error_from_response(httpx.Response(400, json=body, request=request))
    assert isinstance(error, BadRequestError)
    return error


class FakeSet:
    """Records 1..n. ``cap`` limits $top from call number ``cap_from`` on (0: the first); ``page_size`` splits
    answers with next links as ASP.NET OData does; ``extra`` returns that many items more than asked."""

    def __init__(
        self,
        n: int,
        *,
        cap: int | None = None,
        cap_from: int = 0,
        count: bool = False,
        page_size: int | None = None,
        extra: int = 0,
    ) -> None:
        self.records = list(range(1, n + 1))
        self.cap = cap
        self.cap_from = cap_from
        self.count = count
        self.page_size = page_size
        self.extra = extra
        self.calls: list[PageParams] = []

    def __call__(self, params: PageParams) -> PageData[int]:
        self.calls.append(params)
        if params.next_link is not None:
            query = parse_qs(urlsplit(params.next_link).query)
            top = int(query["$top"][0]) if "$top" in query else None
            skip = int(query["$skip"][0])
        else:
            top, skip = params.top, params.skip
            if self.cap is not None and len(self.calls) > self.cap_from and top is not None and top > self.cap:
                raise cap_error(self.cap, top)
        end = len(self.records) if top is None else skip + top
        items = self.records[skip:end]
        link = None
        if self.page_size is not None and len(items) > self.page_size:
            items = items[: self.page_size]
            link = f"{URL}?$skip={skip + self.page_size}"
            if top is not None:
                link += f"&$top={top - self.page_size}"
        elif self.extra:
            items = self.records[skip : end + self.extra]
        count = len(self.records) if self.count else None
        return PageData(items, count=count, next_link=link, context=CONTEXT, http_response=httpx.Response(200))

    async def fetch_async(self, params: PageParams) -> PageData[int]:
        await asyncio.sleep(0)
        return self(params)

    def tops_and_skips(self) -> list[tuple[int | None, int]]:
        return [(p.top, p.skip) for p in self.calls]


def first(fake: FakeSet, params: PageParams, mode: str) -> SyncPage[int] | AsyncPage[int]:
    if mode == "sync":
        return SyncPage.first(fake, params)
    return asyncio.run(AsyncPage.first(fake.fetch_async, params))


def pages(fake: FakeSet, params: PageParams, mode: str) -> list[SyncPage[int]] | list[AsyncPage[int]]:
    if mode == "sync":
        return list(SyncPage.first(fake, params).iter_pages())

    async def main() -> list[AsyncPage[int]]:
        page = await AsyncPage.first(fake.fetch_async, params)
        return [p async for p in page.iter_pages()]

    return asyncio.run(main())


def everything(fake: FakeSet, params: PageParams, mode: str) -> list[int]:
    if mode == "sync":
        return list(SyncPage.first(fake, params).auto_paging())

    async def main() -> list[int]:
        page = await AsyncPage.first(fake.fetch_async, params)
        return [item async for item in page.auto_paging()]

    return asyncio.run(main())


# -- top_cap_from_error ----------------------------------------------------------------------------------


def test_cap_read_from_the_odata_message() -> None:
    assert top_cap_from_error(cap_error(100, 500)) == 100
    assert top_cap_from_error(cap_error(25, 30)) == 25


def test_cap_read_from_details_and_from_a_plain_text_body() -> None:
    details = {"error": {"code": "", "message": "Bad query", "details": [{"message": CAP_TEXT.format(cap=7, asked=9)}]}}
    request = httpx.Request("GET", f"{URL}?$top=9")
    assert top_cap_from_error(status_error_from_response(httpx.Response(400, json=details, request=request))) == 7
    text = httpx.Response(400, text=CAP_TEXT.format(cap=50, asked=60), request=request)
    assert top_cap_from_error(status_error_from_response(text)) == 50


def test_other_errors_are_not_caps() -> None:
    request = httpx.Request("GET", URL)
    other = httpx.Response(400, json={"error": {"code": "", "message": "Unknown property 'Foo'"}}, request=request)
    not_found = httpx.Response(404, json={"error": {"message": CAP_TEXT.format(cap=100, asked=500)}}, request=request)
    zero = httpx.Response(400, json={"error": {"message": CAP_TEXT.format(cap=0, asked=5)}}, request=request)
    assert top_cap_from_error(status_error_from_response(other)) is None
    assert top_cap_from_error(status_error_from_response(not_found)) is None
    assert top_cap_from_error(status_error_from_response(zero)) is None
    assert top_cap_from_error(ValueError(CAP_TEXT.format(cap=100, asked=500))) is None


def test_page_params_reject_negative_numbers() -> None:
    with pytest.raises(ValueError, match="top"):
        PageParams(-1, 0)
    with pytest.raises(ValueError, match="skip"):
        PageParams(10, -5)


# -- $top/$skip ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_pages_of_top_until_a_short_page(mode: str) -> None:
    fake = FakeSet(250)
    got = pages(fake, PageParams(100, 0), mode)
    assert [len(p.items) for p in got] == [100, 100, 50]
    assert [p.params for p in got] == [PageParams(100, 0), PageParams(100, 100), PageParams(100, 200)]
    assert fake.tops_and_skips() == [(100, 0), (100, 100), (100, 200)]
    assert [item for p in got for item in p.items] == list(range(1, 251))
    assert got[0].context == CONTEXT and isinstance(got[0].http_response, httpx.Response)
    assert [p.has_next_page() for p in got] == [True, True, False]


@pytest.mark.parametrize("mode", MODES)
def test_auto_paging_yields_every_item_once_in_order(mode: str) -> None:
    fake = FakeSet(250)
    assert everything(fake, PageParams(100, 0), mode) == list(range(1, 251))
    assert len(fake.calls) == 3


@pytest.mark.parametrize("mode", MODES)
def test_exact_multiple_ends_at_an_empty_page(mode: str) -> None:
    fake = FakeSet(200)
    got = pages(fake, PageParams(100, 0), mode)
    assert [len(p.items) for p in got] == [100, 100, 0]
    assert fake.tops_and_skips() == [(100, 0), (100, 100), (100, 200)]
    assert [item for p in got for item in p.items] == list(range(1, 201))


@pytest.mark.parametrize("mode", MODES)
def test_count_stops_before_an_empty_page(mode: str) -> None:
    fake = FakeSet(200, count=True)
    assert everything(fake, PageParams(100, 0), mode) == list(range(1, 201))
    assert fake.tops_and_skips() == [(100, 0), (100, 100)]
    fake = FakeSet(250, count=True)
    got = pages(fake, PageParams(50, 0), mode)
    assert len(fake.calls) == 5
    assert got[-1].count == 250 and not got[-1].has_next_page()


@pytest.mark.parametrize("mode", MODES)
def test_without_top_the_first_page_is_everything(mode: str) -> None:
    fake = FakeSet(250)
    page = first(fake, PageParams(None, 0), mode)
    assert page.items == list(range(1, 251))
    assert not page.has_next_page() and page.next_page_params() is None
    assert everything(fake, PageParams(None, 0), mode) == list(range(1, 251))
    assert len(fake.calls) == 2  # one per paging, never a second request


@pytest.mark.parametrize("mode", MODES)
def test_more_items_than_top_are_kept_and_skip_advances_by_them(mode: str) -> None:
    fake = FakeSet(250, extra=20)
    got = pages(fake, PageParams(100, 0), mode)
    assert [len(p.items) for p in got] == [120, 120, 10]
    assert fake.tops_and_skips() == [(100, 0), (100, 120), (100, 240)]
    assert [item for p in got for item in p.items] == list(range(1, 251))


@pytest.mark.parametrize("mode", MODES)
def test_starting_skip_is_honoured(mode: str) -> None:
    fake = FakeSet(250)
    assert everything(fake, PageParams(100, 30), mode) == list(range(31, 251))
    assert fake.tops_and_skips() == [(100, 30), (100, 130), (100, 230)]


def test_no_next_page_is_a_runtime_error() -> None:
    page = SyncPage.first(FakeSet(5), PageParams(10, 0))
    with pytest.raises(XAPIError, match="no next page"):
        page.get_next_page()

    async def main() -> None:
        page = await AsyncPage.first(FakeSet(5).fetch_async, PageParams(10, 0))
        with pytest.raises(XAPIError, match="no next page"):
            await page.get_next_page()

    asyncio.run(main())


def test_top_zero_asks_once() -> None:
    fake = FakeSet(10)
    page = SyncPage.first(fake, PageParams(0, 0))
    assert len(page.items) == 0 and not page.has_next_page()
    assert list(page.auto_paging()) == []
    assert len(fake.calls) == 1


# -- $top caps -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_top_above_the_cap_gives_pages_of_the_cap(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeSet(250, cap=100)
    with caplog.at_level(logging.WARNING, logger="threecx_xapi"):
        page = first(fake, PageParams(500, 0), mode)
    assert len(page.items) == 100 and page.params == PageParams(100, 0)
    assert page.has_next_page() and page.next_page_params() == PageParams(100, 100)
    assert fake.tops_and_skips() == [(500, 0), (100, 0)]
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "/xapi/v1/Contacts" in record.getMessage() and "100" in record.getMessage()

    fake = FakeSet(250, cap=100)
    with caplog.at_level(logging.WARNING, logger="threecx_xapi"):
        assert everything(fake, PageParams(500, 0), mode) == list(range(1, 251))
    assert fake.tops_and_skips() == [(500, 0), (100, 0), (100, 100), (100, 200)]
    assert len(caplog.records) == 2  # one warning per paging


@pytest.mark.parametrize("mode", MODES)
def test_cap_with_a_starting_skip(mode: str) -> None:
    fake = FakeSet(250, cap=100)
    assert everything(fake, PageParams(500, 30), mode) == list(range(31, 251))
    assert fake.tops_and_skips() == [(500, 30), (100, 30), (100, 130), (100, 230)]


@pytest.mark.parametrize("mode", MODES)
def test_cap_discovered_on_a_later_page(mode: str) -> None:
    fake = FakeSet(500, cap=100, cap_from=2)
    assert everything(fake, PageParams(150, 0), mode) == list(range(1, 501))
    assert fake.tops_and_skips() == [(150, 0), (150, 150), (150, 300), (100, 300), (100, 400), (100, 500)]


def test_a_lower_cap_after_a_cap_is_followed_down() -> None:
    calls: list[int | None] = []

    def fetch(params: PageParams) -> PageData[int]:
        calls.append(params.top)
        assert params.top is not None
        if params.top > 100:
            raise cap_error(100, params.top)
        if params.top > 40:
            raise cap_error(40, params.top)
        return PageData(list(range(params.skip, min(params.skip + params.top, 90))))

    assert list(SyncPage.first(fetch, PageParams(500, 0)).auto_paging()) == list(range(90))
    assert calls == [500, 100, 40, 40, 40]


@pytest.mark.parametrize("mode", MODES)
def test_other_errors_propagate(mode: str) -> None:
    def not_found(params: PageParams) -> PageData[int]:
        raise status_error_from_response(httpx.Response(404, request=httpx.Request("GET", URL)))

    async def not_found_async(params: PageParams) -> PageData[int]:
        return not_found(params)

    with pytest.raises(NotFoundError):
        if mode == "sync":
            SyncPage.first(not_found, PageParams(100, 0))
        else:
            asyncio.run(AsyncPage.first(not_found_async, PageParams(100, 0)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("top", [50, 100])
def test_a_cap_no_lower_than_top_propagates_instead_of_looping(mode: str, top: int) -> None:
    calls: list[PageParams] = []

    def liar(params: PageParams) -> PageData[int]:
        calls.append(params)
        raise cap_error(100, params.top)

    async def liar_async(params: PageParams) -> PageData[int]:
        return liar(params)

    with pytest.raises(BadRequestError, match="limit of '100'"):
        if mode == "sync":
            SyncPage.first(liar, PageParams(top, 0))
        else:
            asyncio.run(AsyncPage.first(liar_async, PageParams(top, 0)))
    assert calls == [PageParams(top, 0)]


def test_an_error_on_a_later_page_propagates_after_the_earlier_items() -> None:
    def fetch(params: PageParams) -> PageData[int]:
        if params.skip >= 20:
            raise status_error_from_response(httpx.Response(400, json={"error": {"message": "nope"}}))
        return PageData(list(range(params.skip, params.skip + 10)))

    iterator = SyncPage.first(fetch, PageParams(10, 0)).auto_paging()
    assert [next(iterator) for _ in range(20)] == list(range(20))
    with pytest.raises(BadRequestError, match="nope"):
        next(iterator)


# -- next links ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_next_links_are_followed_as_is(mode: str) -> None:
    fake = FakeSet(250, page_size=40)
    got = pages(fake, PageParams(None, 0), mode)
    assert [len(p.items) for p in got] == [40] * 6 + [10]
    assert fake.calls[1] == PageParams(None, 40, f"{URL}?$skip=40")
    assert [p.next_link for p in fake.calls] == [None] + [f"{URL}?$skip={40 * i}" for i in range(1, 7)]
    assert [item for p in got for item in p.items] == list(range(1, 251))


@pytest.mark.parametrize("mode", MODES)
def test_next_links_inside_a_top_window_then_skip_continues(mode: str) -> None:
    fake = FakeSet(250, page_size=30)
    assert everything(fake, PageParams(100, 0), mode) == list(range(1, 251))
    plain = [(p.top, p.skip) for p in fake.calls if p.next_link is None]
    assert plain == [(100, 0), (100, 100), (100, 200)]


@pytest.mark.parametrize("mode", MODES)
def test_a_repeated_next_link_stops_the_loop(mode: str) -> None:
    link = f"{URL}?$skiptoken=abc"
    calls: list[PageParams] = []

    def stuck(params: PageParams) -> PageData[int]:
        calls.append(params)
        return PageData([len(calls)], next_link=link)

    async def stuck_async(params: PageParams) -> PageData[int]:
        return stuck(params)

    seen: list[int] = []
    with pytest.raises(XAPIError, match=r"skiptoken=abc"):
        if mode == "sync":
            for item in SyncPage.first(stuck, PageParams(None, 0)).auto_paging():
                seen.append(item)
        else:

            async def main() -> None:
                async for item in (await AsyncPage.first(stuck_async, PageParams(None, 0))).auto_paging():
                    seen.append(item)

            asyncio.run(main())
    assert seen == [1, 2]  # the link was followed once, never twice
    assert [p.next_link for p in calls] == [None, link]


def test_a_next_link_cycle_stops_the_loop() -> None:
    links = {None: "A", "A": "B", "B": "A"}

    def cycle(params: PageParams) -> PageData[str]:
        return PageData([str(params.next_link)], next_link=links[params.next_link])

    with pytest.raises(XAPIError, match="'A'"):
        list(SyncPage.first(cycle, PageParams(None, 0)).auto_paging())


def test_refetching_the_next_page_is_not_a_loop() -> None:
    fake = FakeSet(100, page_size=30)
    page = SyncPage.first(fake, PageParams(None, 0))
    assert page.get_next_page().items == page.get_next_page().items == list(range(31, 61))


# -- no loss, no duplicates ------------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[FakeSet, PageParams]:
    n = draw(st.integers(0, 1000))
    fake = FakeSet(
        n,
        cap=draw(st.none() | st.integers(1, 300)),
        cap_from=draw(st.integers(0, 3)),
        count=draw(st.booleans()),
        page_size=draw(st.none() | st.integers(1, 300)),
        extra=draw(st.sampled_from([0, 0, 0, 1, 17])),
    )
    return fake, PageParams(draw(st.integers(1, 300)), draw(st.integers(0, n)))


@given(scenarios())
def test_auto_paging_is_exactly_the_rest_of_the_set(scenario: tuple[FakeSet, PageParams]) -> None:
    fake, params = scenario
    assert list(SyncPage.first(fake, params).auto_paging()) == fake.records[params.skip :]


@settings(max_examples=50)
@given(scenarios())
def test_async_auto_paging_is_exactly_the_rest_of_the_set(scenario: tuple[FakeSet, PageParams]) -> None:
    fake, params = scenario
    assert everything(fake, params, "async") == fake.records[params.skip :]
