"""``Fleet`` and ``AsyncFleet``: one function against many PBXs at once, a result or an error for each.

    from threecx_xapi import Fleet

    with Fleet.from_profiles() as fleet:                  # every saved profile (threecx-xapi profile add)
        result = fleet.run(lambda pbx: pbx.users.list_user(top=5, count=True).count)
    for name, outcome in result.items():                  # in name order
        print(name, outcome.version, outcome.value if outcome.ok else outcome.error)

A fleet is named clients: ``Fleet({"office": XAPI(...), "branch": XAPI(...)})``, a list of clients (named by
their host and port), or ``Fleet.from_profiles(["office", "branch"])`` (all profiles without names) reading the
command line's ``profiles.json`` (see :mod:`._profiles`; no click needed). ``run`` calls the function with
each PBX's client, at most ``concurrency`` at once (threads for ``Fleet``, tasks under a semaphore for
``AsyncFleet``); one PBX failing is that PBX's outcome and the others run on. An operation a PBX's XAPI does
not have is an ``UnsupportedOperationError`` for that PBX, naming the operation and its ``X-3CX-Version``.
A fleet closes the clients it made (``from_profiles``), not the ones it was given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from ._client import XAPI, AsyncXAPI
from ._fleet_result import FleetResult
from ._fleet_runner import DEFAULT_CONCURRENCY, check_concurrency, run_in_tasks, run_in_threads
from ._profiles import ProfileError, ProfileStore, default_store

__all__ = ["DEFAULT_CONCURRENCY", "AsyncFleet", "Fleet"]

ClientT = TypeVar("ClientT", XAPI, AsyncXAPI)
T = TypeVar("T")


def _named(clients: Mapping[str, ClientT] | Iterable[ClientT], kind: type[ClientT]) -> dict[str, ClientT]:
    """Clients by name: a mapping as given, a list named by each client's host[:port]; checked."""
    if isinstance(clients, Mapping):
        named = dict(clients)
    else:
        named = {}
        for client in clients:
            name = urlsplit(getattr(client, "base_url", "")).netloc
            if name in named:
                raise ValueError(f"two clients for {name}: pass a mapping of names to clients instead")
            named[name] = client
    if not named:
        raise ValueError("a fleet needs at least one PBX")
    for name, client in named.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"a PBX's name must be a non-empty string, not {name!r}")
        if not isinstance(client, kind):
            other = "AsyncFleet" if kind is XAPI else "Fleet"
            raise TypeError(
                f"{name!r}: {type(client).__name__} is not a {kind.__name__} (for {type(client).__name__} use {other})"
            )
    return named


def _from_profiles(
    kind: type[ClientT], names: Iterable[str] | None, config_dir: str | Path | None, options: Mapping[str, Any]
) -> dict[str, ClientT]:
    if isinstance(names, str):
        raise TypeError("names is a list of profile names, not one string: from_profiles(['office'])")
    store = ProfileStore(Path(config_dir)) if config_dir is not None else default_store()
    chosen = list(dict.fromkeys(names)) if names is not None else store.names()
    if not chosen:
        raise ProfileError(f"no profiles saved in {store.path}: threecx-xapi profile add NAME --url URL --client-id ID")
    profiles = [store.get(name) for name in chosen]  # every name checked before a client is made
    clients: dict[str, ClientT] = {}
    try:
        for p in profiles:
            clients[p.name] = kind(p.url, client_id=p.client_id, client_secret=p.client_secret, **options)
    except ValueError as exc:  # no address or no credentials in that profile (nor in the environment)
        for made in clients.values():
            if isinstance(made, XAPI):
                made.close()
        raise ProfileError(f"profile {p.name!r}: {exc}") from None
    return clients


def _version(client: XAPI | AsyncXAPI) -> str | None:
    return client.server_version


class _BaseFleet(Generic[ClientT]):
    _clients: dict[str, ClientT]
    _owned: bool
    concurrency: int

    def _setup(self, clients: dict[str, ClientT], concurrency: int, owned: bool) -> None:
        self._clients = dict(sorted(clients.items()))
        self.concurrency = check_concurrency(concurrency)
        self._owned = owned

    @property
    def names(self) -> list[str]:
        """The PBXs' names, in order."""
        return list(self._clients)

    def __getitem__(self, name: str) -> ClientT:
        return self._clients[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._clients)

    def __len__(self) -> int:
        return len(self._clients)

    def __contains__(self, name: object) -> bool:
        return name in self._clients

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self._clients)}; concurrency={self.concurrency})"


class Fleet(_BaseFleet[XAPI]):
    """Many PBXs, each with its ``XAPI``; ``run(fn)`` calls ``fn(pbx)`` for each in a bounded thread pool."""

    def __init__(self, clients: Mapping[str, XAPI] | Iterable[XAPI], *, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self._setup(_named(clients, XAPI), concurrency, owned=False)

    @classmethod
    def from_profiles(
        cls,
        names: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        config_dir: str | Path | None = None,
        **options: Any,
    ) -> Fleet:
        """A fleet of saved profiles (all of them without ``names``); ``options`` go to every ``XAPI``.

        Profiles are read from ``config_dir``, else ``THREECX_XAPI_CONFIG_DIR``, else the user's config folder;
        an unknown name is a ``ProfileError`` before any client is made. The fleet closes these clients.
        """
        fleet = cls(_from_profiles(XAPI, names, config_dir, options), concurrency=concurrency)
        fleet._owned = True
        return fleet

    def run(self, fn: Callable[[XAPI], T], *, concurrency: int | None = None) -> FleetResult[T]:
        """``fn(pbx)`` for every PBX, at most ``concurrency`` at once; every PBX's value or error, in name order."""
        return run_in_threads(
            self._clients, fn, concurrency=self.concurrency if concurrency is None else concurrency, version_of=_version
        )

    def close(self) -> None:
        """Close the clients this fleet made (``from_profiles``); clients passed in stay open."""
        if self._owned:
            for client in self._clients.values():
                client.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFleet(_BaseFleet[AsyncXAPI]):
    """Many PBXs, each with its ``AsyncXAPI``; ``await run(fn)`` awaits ``fn(pbx)`` for each, bounded."""

    def __init__(
        self, clients: Mapping[str, AsyncXAPI] | Iterable[AsyncXAPI], *, concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        self._setup(_named(clients, AsyncXAPI), concurrency, owned=False)

    @classmethod
    def from_profiles(
        cls,
        names: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        config_dir: str | Path | None = None,
        **options: Any,
    ) -> AsyncFleet:
        """Like ``Fleet.from_profiles``, with an ``AsyncXAPI`` per profile."""
        fleet = cls(_from_profiles(AsyncXAPI, names, config_dir, options), concurrency=concurrency)
        fleet._owned = True
        return fleet

    async def run(self, fn: Callable[[AsyncXAPI], Awaitable[T]], *, concurrency: int | None = None) -> FleetResult[T]:
        """``await fn(pbx)`` for every PBX, at most ``concurrency`` at once; every PBX's value or error."""
        return await run_in_tasks(
            self._clients, fn, concurrency=self.concurrency if concurrency is None else concurrency, version_of=_version
        )

    async def close(self) -> None:
        """Close the clients this fleet made (``from_profiles``); clients passed in stay open."""
        if self._owned:
            for client in self._clients.values():
                await client.close()

    async def __aenter__(self) -> AsyncFleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
