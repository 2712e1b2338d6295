"""Resolving a module's calls to another module: in-process facade or HTTP client.

A contract API is a Protocol class in ``caremesh.contracts.<module>`` with a ``module`` class
attribute naming its owner. The directory hands out a lazy client: calls go to the local facade
when the owner runs in this process, otherwise to a remote client built by the bootstrap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from caremesh.kernel.errors import DependencyUnavailable

T = TypeVar("T")

RemoteFactory = Callable[[type[Any]], Any]


def api_name(api: type[Any]) -> str:
    return str(getattr(api, "api_name", api.__name__))


class _LazyClient:
    def __init__(self, directory: ServiceDirectory, api: type[Any]) -> None:
        self._directory = directory
        self._api = api

    def __getattr__(self, method: str) -> Any:
        return getattr(self._directory.resolve(self._api), method)


class ServiceDirectory:
    def __init__(self, remote_factory: RemoteFactory | None = None) -> None:
        self._local: dict[str, Any] = {}
        self._contracts: dict[str, type[Any]] = {}
        self._remote: dict[str, Any] = {}
        self._remote_factory = remote_factory

    def provide(self, api: type[T], implementation: T) -> None:
        self._local[api_name(api)] = implementation
        self._contracts[api_name(api)] = api

    def local(self, api_or_name: type[Any] | str) -> Any | None:
        name = api_or_name if isinstance(api_or_name, str) else api_name(api_or_name)
        return self._local.get(name)

    @property
    def local_apis(self) -> dict[str, Any]:
        return dict(self._local)

    @property
    def local_contracts(self) -> dict[str, type[Any]]:
        """The contract Protocol of each API provided in this process (served to other processes)."""
        return dict(self._contracts)

    def resolve(self, api: type[T]) -> T:
        name = api_name(api)
        if name in self._local:
            return cast(T, self._local[name])
        if name not in self._remote:
            if self._remote_factory is None:
                raise DependencyUnavailable(f"no provider of {name} in this topology")
            self._remote[name] = self._remote_factory(api)
        return cast(T, self._remote[name])

    def client(self, api: type[T]) -> T:
        return cast(T, _LazyClient(self, api))

    async def close(self) -> None:
        for client in self._remote.values():
            close = getattr(client, "aclose", None)
            if close is not None:
                await close()
        self._remote.clear()
