"""The in-process implementation of the published ``CdsAPI``."""

from __future__ import annotations

from caremesh.contracts.cds import OrderCheckRequest, OrderCheckResult, OverrideRecord
from caremesh.modules.cds.application import checking, overrides
from caremesh.modules.cds.application.deps import CdsDeps


class CdsFacade:
    def __init__(self, deps: CdsDeps) -> None:
        self._deps = deps

    async def check_orders(self, request: OrderCheckRequest) -> OrderCheckResult:
        return await checking.check_orders(self._deps, request)

    async def record_override(self, override: OverrideRecord) -> None:
        await overrides.record_override(self._deps, override)
