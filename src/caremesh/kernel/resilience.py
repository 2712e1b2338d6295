"""Resilience policies for calls to another module: timeout, retry, circuit breaker, bulkhead.

A call to a remote module passes, outermost first, through the bulkhead (a bounded number of calls
in flight per target and a short wait for a slot), the retry loop (exponential backoff with jitter;
what may be retried depends on whether the operation is a query or a command), the circuit breaker
(one per target module; fails fast while open) and the per-attempt timeout. Whatever goes wrong,
the caller sees :class:`DependencyUnavailable` carrying a ``reason``, so it can degrade gracefully.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import Any, Literal, TypeVar

import structlog
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from caremesh.kernel.errors import CaremeshError, DependencyUnavailable
from caremesh.kernel.observability import metrics

T = TypeVar("T")
Kind = Literal["query", "command"]
Attempt = Callable[[], Awaitable[T]]

log = structlog.get_logger(__name__)

TIMEOUT = "timeout"
BREAKER_OPEN = "breaker-open"
BULKHEAD_FULL = "bulkhead-full"
UNREACHABLE = "unreachable"
UNAVAILABLE = "unavailable"
SERVER_ERROR = "server-error"
BAD_RESPONSE = "bad-response"
# Failures that say something about the target's health; a contract or credentials mismatch does not.
HEALTH_FAILURES = frozenset({TIMEOUT, UNREACHABLE, UNAVAILABLE, SERVER_ERROR})


@dataclass(frozen=True)
class ResiliencePolicy:
    """How calls to one target behave; the defaults suit a hospital LAN with a clinician waiting."""

    timeout: float = 2.0  # per attempt
    connect_timeout: float = 0.5
    attempts: int = 3
    backoff_initial: float = 0.1
    backoff_max: float = 1.0
    backoff_jitter: float = 0.1
    breaker_threshold: int = 5  # consecutive failed attempts
    breaker_cooldown: float = 15.0  # seconds open before one trial call is let through
    max_concurrent: int = 16
    max_wait: float = 0.05  # for a bulkhead slot, before rejecting

    def __post_init__(self) -> None:
        for item in fields(self):
            if getattr(self, item.name) < 0:
                raise ValueError(f"resilience setting {item.name} must not be negative")
        if self.attempts < 1 or self.max_concurrent < 1 or self.breaker_threshold < 1:
            raise ValueError("attempts, max_concurrent and breaker_threshold must be at least 1")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ResiliencePolicy:
        """A policy from a topology table such as ``[modules.scheduling.resilience]``."""
        defaults = cls()
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(config or {}) - known)
        if unknown:
            raise ValueError(f"unknown resilience settings: {', '.join(unknown)}")
        values = {name: type(getattr(defaults, name))(value) for name, value in (config or {}).items()}
        return replace(defaults, **values)


class RemoteFailure(Exception):
    """One failed attempt. ``sent`` is False only when the request provably never left."""

    def __init__(self, reason: str, *, sent: bool, transient: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.transient = transient


def should_retry(kind: Kind, failure: BaseException) -> bool:
    """Queries are safe to repeat; a command is repeated only if the target never saw it."""
    if not isinstance(failure, RemoteFailure) or not failure.transient:
        return False
    return kind == "query" or not failure.sent


def _not_about_health(failure: RemoteFailure) -> bool:
    return failure.reason not in HEALTH_FAILURES


def dependency_unavailable(target: str, reason: str) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"the {target} service is unavailable ({reason})", details={"target": target, "reason": reason}
    )


class Bulkhead:
    """At most ``max_concurrent`` calls in flight; a caller waits ``max_wait`` for a slot, then is refused."""

    def __init__(self, target: str, *, max_concurrent: int, max_wait: float) -> None:
        self.target = target
        self.max_wait = max_wait
        self._slots = asyncio.Semaphore(max_concurrent)
        self.in_flight = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._slots.release()

    async def _acquire(self) -> None:
        if self._slots.locked() and self.max_wait <= 0:
            raise dependency_unavailable(self.target, BULKHEAD_FULL)
        try:
            async with asyncio.timeout(self.max_wait):
                await self._slots.acquire()
        except TimeoutError:
            raise dependency_unavailable(self.target, BULKHEAD_FULL) from None


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failed attempts; after ``cooldown`` s lets a trial through.

    Errors the target answered on purpose (a :class:`CaremeshError` such as NotFound) prove it is
    healthy; a cancelled caller, or a mismatch of contract or credentials, says nothing about its
    health: none of them counts as a failure.
    """

    def __init__(self, target: str, *, threshold: int, cooldown: float) -> None:
        self.target = target
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=threshold,
            default_ttl=cooldown,
            exclude=[CaremeshError, asyncio.CancelledError, (RemoteFailure, _not_about_health)],
        )
        self._breakers.add_listener(self._log_state_change)

    async def state(self) -> str:
        return (await self._breakers.get_breaker(self.target)).context.state

    async def call(self, attempt: Attempt[T]) -> T:
        breaker = await self._breakers.get_breaker(self.target)
        try:
            async with breaker:
                return await attempt()
        except OpenedState as opened:
            # purgatory raises the same instance on every refused call: keep its traceback from growing.
            opened.__traceback__ = None
            raise dependency_unavailable(self.target, BREAKER_OPEN) from None

    def _log_state_change(self, name: str, event_name: str, event: Any) -> None:
        if event_name == "state_changed":
            log.warning("circuit breaker state changed", target=name, state=event.state)


class TargetGuard:
    """Every protection of calls to one target module, shared by all clients of that target."""

    def __init__(self, target: str, policy: ResiliencePolicy | None = None) -> None:
        self.target = target
        self.policy = policy or ResiliencePolicy()
        policy = self.policy
        self.bulkhead = Bulkhead(target, max_concurrent=policy.max_concurrent, max_wait=policy.max_wait)
        self.breaker = CircuitBreaker(
            target, threshold=policy.breaker_threshold, cooldown=policy.breaker_cooldown
        )

    async def call(self, operation: str, kind: Kind, attempt: Attempt[T]) -> T:
        """Run ``attempt`` under every policy; record the call's outcome and latency."""
        started = time.perf_counter()
        outcome = "failed"
        try:
            async with self.bulkhead.slot():
                result = await self._with_retries(operation, kind, attempt)
            outcome = "ok"
            return result
        except DependencyUnavailable as exc:
            outcome = str(exc.details.get("reason", UNAVAILABLE))
            raise
        except CaremeshError as exc:
            outcome = exc.code
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            metrics.REMOTE_CALLS.labels(self.target, operation, outcome).inc()
            metrics.REMOTE_CALL_SECONDS.labels(self.target, operation).observe(time.perf_counter() - started)

    async def _with_retries(self, operation: str, kind: Kind, attempt: Attempt[T]) -> T:
        policy = self.policy
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential_jitter(
                multiplier=policy.backoff_initial, max=policy.backoff_max, jitter=policy.backoff_jitter
            ),
            retry=retry_if_exception(partial(should_retry, kind)),
            before_sleep=partial(self._log_retry, operation),
            reraise=True,
        )
        try:
            return await retrying(self.breaker.call, partial(self._within_timeout, attempt))
        except RemoteFailure as failure:
            raise dependency_unavailable(self.target, failure.reason) from failure

    async def _within_timeout(self, attempt: Attempt[T]) -> T:
        try:
            async with asyncio.timeout(self.policy.timeout):
                return await attempt()
        except TimeoutError as exc:
            raise RemoteFailure(TIMEOUT, sent=True) from exc

    def _log_retry(self, operation: str, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        reason = failure.reason if isinstance(failure, RemoteFailure) else type(failure).__name__
        log.warning(
            "remote call retrying", target=self.target, operation=operation,
            attempt=state.attempt_number, outcome=reason,
        )
