"""``GET /v1/cds/overrides/stats``: how often each rule's live cards are overridden, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from caremesh.kernel.clock import require_aware
from caremesh.kernel.errors import InvalidRequest
from caremesh.modules.cds.application.deps import CdsDeps
from caremesh.modules.cds.application.overrides import override_statistics


def add_stats_routes(router: APIRouter, deps: CdsDeps) -> None:
    @router.get("/v1/cds/overrides/stats")
    async def stats(since: datetime | None = Query(default=None)) -> dict[str, Any]:
        if since is not None:
            try:
                since = require_aware(since, "since")
            except ValueError as error:
                raise InvalidRequest(str(error)) from None
        rules = await override_statistics(deps, since)
        shown = sum(rule.shown for rule in rules)
        overridden = sum(rule.overridden for rule in rules)
        return {
            "since": None if since is None else since.isoformat(),
            "knowledge_version": deps.knowledge.version,
            "totals": {"shown": shown, "overridden": overridden, "override_rate": _rate(overridden, shown)},
            "rules": [
                {
                    "rule_id": rule.rule_id,
                    "shown": rule.shown,
                    "overridden": rule.overridden,
                    "accepted": rule.accepted,
                    "override_rate": _rate(rule.overridden, rule.shown),
                    "reasons": dict(sorted(rule.reasons.items())),
                }
                for rule in rules
            ],
        }


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)
