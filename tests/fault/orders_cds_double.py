"""A stand-in cds module for fault tests: answers like a small CDS, or is slow, down or flapping.

Registered with ``CAREMESH_EXTRA_MODULES=cds=tests.fault.orders_cds_double`` so it replaces the real
cds module in the test's process(es). Its behaviour is read on each call from the file named by
``CAREMESH_TEST_CDS_MODE`` ("ok", "slow", "down", "flap"), so a test can change it while real
processes run. The point is a real module whose calls really time out or fail, not a mock.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path

from fastapi import APIRouter

from caremesh.contracts.cds import (
    Card,
    CdsAPI,
    OrderCheckRequest,
    OrderCheckResult,
    OverrideReason,
    OverrideRecord,
)
from caremesh.kernel.module import ModuleContext, ModuleDefinition

MODE_ENV = "CAREMESH_TEST_CDS_MODE"
SLOW_SECONDS = 2.0
INTERACTING = {frozenset({"11289", "1191"}), frozenset({"11289", "5640"})}  # warfarin + aspirin / ibuprofen
REASONS = [OverrideReason(code="benefit-outweighs-risk", display="Benefit outweighs risk")]
_flap = itertools.count()
OVERRIDES: list[OverrideRecord] = []


def mode() -> str:
    path = os.environ.get(MODE_ENV)
    if not path or not Path(path).exists():
        return "ok"
    return Path(path).read_text().strip() or "ok"


def set_mode(path: Path, value: str) -> None:
    path.write_text(value)


def _card(rule_id: str, kind: str, indicator: str, summary: str) -> Card:
    return Card(
        uuid=f"{rule_id}:{next(_flap)}",
        rule_id=rule_id,
        kind=kind,  # type: ignore[arg-type]
        indicator=indicator,  # type: ignore[arg-type]
        summary=summary,
        source_label="caremesh test double",
        override_reasons=REASONS,
    )


def cards_for(request: OrderCheckRequest) -> list[Card]:
    cards: list[Card] = []
    for draft in request.drafts:
        code = draft.medication.code
        for allergy in request.allergies:
            if allergy.substance.code == code:
                cards.append(_card(f"allergy:{code}", "drug-allergy", "critical", "Documented allergy"))
        for active in request.active_medications:
            other = active.medication.code
            if other == code:
                cards.append(_card(f"duplicate:{code}", "duplicate-therapy", "warning", "Duplicate therapy"))
            elif frozenset({code, other}) in INTERACTING:
                pair = "-".join(sorted((code, other)))
                cards.append(_card(f"ddi:{pair}", "drug-drug", "critical", "Major interaction"))
    return cards


async def _behave() -> None:
    current = mode()
    if current == "slow":
        await asyncio.sleep(SLOW_SECONDS)
    elif current == "down":
        raise ConnectionError("cds double is down")
    elif current == "flap" and next(_flap) % 2 == 0:
        raise ConnectionError("cds double is flapping")


class DoubleCds:
    async def check_orders(self, request: OrderCheckRequest) -> OrderCheckResult:
        await _behave()
        return OrderCheckResult(cards=cards_for(request), knowledge_version="double-1")

    async def record_override(self, override: OverrideRecord) -> None:
        await _behave()
        OVERRIDES.append(override)


def register(ctx: ModuleContext) -> None:
    ctx.provide(CdsAPI, DoubleCds())
    ctx.add_router(APIRouter())


MODULE = ModuleDefinition(
    name="cds", migrations="tests.fault.orders_cds_double_migrations", register=register
)
