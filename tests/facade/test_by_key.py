"""Paging by key: items deleted while paging shift ``$skip`` pages, never a walk by key (real test server)."""

from __future__ import annotations

import asyncio

import pytest

from threecx_xapi import XAPI, AsyncXAPI, aby_key, by_key
from threecx_xapi.testing import XAPITestServer


def numbers_while_deleting(pbx: XAPI, walk: str) -> tuple[list[str], set[str]]:
    """Walk the users 10 at a time, deleting the first user seen once the first page is in."""
    seen: list[str] = []
    kept: set[str] = set()
    first: int | None = None
    iterator = by_key(pbx.users.list_user, top=10) if walk == "key" else iter(pbx.users.list_user(top=10))
    for user in iterator:
        seen.append(str(user.number))
        if first is None:
            first = user.id
        elif len(seen) == 10:
            pbx.users.delete_user(first)
    for user in pbx.users.list_user():
        kept.add(str(user.number))
    return seen, kept


def test_a_delete_while_paging_loses_an_item_by_skip_and_none_by_key() -> None:
    with XAPITestServer() as server:
        with server.xapi() as pbx:
            by_skip, kept = numbers_while_deleting(pbx, "skip")
        assert len(by_skip) == len(set(by_skip)) and not kept <= set(by_skip)  # $skip: one item never seen
    with XAPITestServer() as server:
        with server.xapi() as pbx:
            walked, kept = numbers_while_deleting(pbx, "key")
        assert len(walked) == len(set(walked)) and kept <= set(walked)  # by key: every remaining item, once
        paths = [r.decoded_path for r in server.requests if r.method == "GET" and "/Users?" in r.decoded_path]
        assert paths[0].endswith("/Users?$top=10&$orderby=Id")
        assert paths[1].endswith("/Users?$top=10&$filter=Id gt 10&$orderby=Id")


def test_a_filter_is_kept_and_combined_with_the_key() -> None:
    with XAPITestServer() as server, server.xapi() as pbx:
        numbers = [u.number for u in by_key(pbx.users.list_user, top=3, filter="startswith(Number,'10')")]
        assert numbers == [u.number for u in pbx.users.list_user(filter="startswith(Number,'10')", orderby="Id")]
        paths = [r.decoded_path for r in server.requests if "$filter=(startswith" in r.decoded_path]
        assert paths and paths[0].endswith("$filter=(startswith(Number,'10')) and Id gt 3&$orderby=Id")


def test_options_that_would_break_the_walk_are_refused_before_sending() -> None:
    with XAPITestServer() as server, server.xapi() as pbx:
        for bad in ({"orderby": "Number"}, {"skip": 5}, {"limit": 3}):
            with pytest.raises(ValueError, match="paging by key"):
                list(by_key(pbx.users.list_user, **bad))
        with pytest.raises(ValueError, match="top must be a positive int"):
            list(by_key(pbx.users.list_user, top=0))
        assert not [r for r in server.requests if "/Users" in r.path]


def test_async_by_key() -> None:
    async def main(server: XAPITestServer) -> list[str]:
        async with AsyncXAPI(server.url, client_id=server.client_id, client_secret=server.client_secret) as pbx:
            return [str(u.number) async for u in aby_key(pbx.users.list_user, top=7)]

    with XAPITestServer() as server:
        walked = asyncio.run(main(server))
        with server.xapi() as pbx:
            assert walked == [u.number for u in pbx.users.list_user(orderby="Id")]
