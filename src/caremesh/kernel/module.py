"""The module contract: what a module hands the bootstrap, and what the bootstrap hands a module.

Every module has a ``module.py`` exposing ``MODULE = ModuleDefinition(...)``. Its ``register``
function receives a :class:`ModuleContext` and declares, without knowing the topology, what the
module provides (an API facade, HTTP routers), what it consumes (event subscriptions), what it
needs from other modules (clients resolved later) and which background workers it runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter

from caremesh.kernel.db.base import Database
from caremesh.kernel.events.consumer import RetryPolicy, Subscription
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.services import ServiceDirectory

T = TypeVar("T")

Worker = Callable[[], Awaitable[None]]
ReadinessCheck = Callable[[], Awaitable[None]]


@dataclass
class ModuleContext:
    name: str
    db: Database
    outbox: Outbox
    config: dict[str, Any]
    services: ServiceDirectory
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    routers: list[APIRouter] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    workers: dict[str, Worker] = field(default_factory=dict)
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)

    def provide(self, api: type[T], implementation: T) -> None:
        """Publish this module's facade for ``api`` (a contract Protocol)."""
        self.services.provide(api, implementation)

    def client(self, api: type[T]) -> T:
        """A client of another module's API; in-process or HTTP is decided by the topology."""
        return self.services.client(api)

    def add_router(self, router: APIRouter) -> None:
        self.routers.append(router)

    def subscribe(self, name: str) -> Subscription:
        """A durable consumer named ``<module>.<name>``; add handlers with ``.on(Event, handler)``."""
        subscription = Subscription(consumer=f"{self.name}.{name}", db=self.db, retry=self.retry_policy)
        self.subscriptions.append(subscription)
        return subscription

    def add_worker(self, name: str, worker: Worker) -> None:
        self.workers[f"{self.name}.{name}"] = worker

    def add_readiness_check(self, name: str, check: ReadinessCheck) -> None:
        self.readiness_checks[f"{self.name}.{name}"] = check


@dataclass(frozen=True)
class ModuleDefinition:
    name: str
    migrations: str  # package holding the module's SQL migrations
    register: Callable[[ModuleContext], None]
    demo: Callable[[ModuleContext], Awaitable[dict[str, Any]]] | None = None
    # Libraries whose tables live in this module's database, as (component, migrations package),
    # e.g. ("fhir", "caremesh.fhir.storage.migrations"); applied before the module's own history.
    components: tuple[tuple[str, str], ...] = ()
