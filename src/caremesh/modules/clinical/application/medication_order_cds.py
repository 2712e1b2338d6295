"""Calls from order entry to CDS under a tight timeout and a circuit breaker.

A clinician is waiting: a check that cannot answer within ``timeout`` counts as unavailable and the
order goes on flagged "interaction check unavailable — verify manually" instead of hanging. After
``threshold`` failures in a row the breaker fails fast for ``cooldown`` seconds. In a split topology
the RemoteClient applies its own policy too; its DependencyUnavailable is a failure here as well.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from caremesh.contracts.cds import CdsAPI, OrderCheckRequest, OrderCheckResult, OverrideRecord
from caremesh.kernel.errors import DependencyUnavailable
from caremesh.kernel.resilience import SERVER_ERROR, TIMEOUT, UNAVAILABLE, CircuitBreaker, RemoteFailure
from caremesh.modules.clinical.domain.medication_order import Alert

T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CdsSettings:
    timeout: float = 0.3
    breaker_threshold: int = 5
    breaker_cooldown: float = 10.0


class GuardedCds:
    def __init__(self, cds: CdsAPI, settings: CdsSettings | None = None) -> None:
        self._cds = cds
        self.settings = settings or CdsSettings()
        self._breaker = CircuitBreaker(
            "cds", threshold=self.settings.breaker_threshold, cooldown=self.settings.breaker_cooldown
        )

    async def check(self, request: OrderCheckRequest) -> OrderCheckResult | None:
        """The result, or None when CDS is slow, down, or its breaker is open."""

        async def attempt() -> OrderCheckResult:
            return await self._bounded(self._cds.check_orders(request))

        try:
            return await self._breaker.call(attempt)
        except (RemoteFailure, DependencyUnavailable) as failure:
            log.warning("cds check unavailable", target="cds", outcome=_reason(failure))
            return None

    async def record_override(self, record: OverrideRecord) -> bool:
        async def attempt() -> None:
            await self._bounded(self._cds.record_override(record))

        try:
            await self._breaker.call(attempt)
            return True
        except (RemoteFailure, DependencyUnavailable) as failure:
            log.warning("cds override not recorded yet", target="cds", outcome=_reason(failure))
            return False

    async def _bounded(self, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.settings.timeout):
                return await call
        except TimeoutError as exc:
            raise RemoteFailure(TIMEOUT, sent=True) from exc
        except DependencyUnavailable as exc:
            raise RemoteFailure(UNAVAILABLE, sent=True) from exc
        except (RemoteFailure, asyncio.CancelledError):
            raise
        except Exception as exc:  # a crash inside an in-process CDS must not block prescribing
            raise RemoteFailure(SERVER_ERROR, sent=True) from exc


def _reason(failure: Exception) -> str:
    if isinstance(failure, RemoteFailure):
        return failure.reason
    return str(getattr(failure, "details", {}).get("reason", UNAVAILABLE))


def alerts_of(result: OrderCheckResult) -> tuple[Alert, ...]:
    """Every card as an alert. Suppression (shown already in this encounter) only spares the
    prescriber a second interruption; a suppressed warning still needs its override reason."""
    return tuple(
        Alert(
            rule_id=card.rule_id,
            kind=card.kind,
            indicator=card.indicator,
            summary=card.summary,
            card_uuid=card.uuid,
            detail=card.detail,
            suppressed=card.suppressed,
        )
        for card in result.cards
    )
