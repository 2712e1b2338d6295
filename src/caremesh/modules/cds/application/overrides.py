"""Overrides and accepted suggestions (CDS Hooks feedback), and the override statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.contracts.cds import OverrideRecord
from caremesh.kernel.errors import InvalidRequest
from caremesh.modules.cds.application import metrics
from caremesh.modules.cds.application.deps import CdsDeps
from caremesh.modules.cds.application.ports import RuleStatistics, StoredOverride

UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class Feedback:
    card_uuid: str
    outcome: str  # "accepted" | "overridden"
    user_id: str
    reason_code: str | None = None
    comment: str | None = None
    accepted_suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedbackOutcome:
    recorded: int
    unknown_cards: list[str]


async def record_override(deps: CdsDeps, override: OverrideRecord) -> None:
    """Idempotent per card uuid: a retried or repeated report keeps the first one."""
    if not override.reason_code.strip():
        raise InvalidRequest("an override needs a reason code")
    async with deps.db.transaction() as conn:
        added = await deps.store.add_override(
            conn,
            StoredOverride(
                card_uuid=override.card_uuid,
                rule_id=override.rule_id,
                patient_id=override.patient_id,
                encounter_id=override.encounter_id,
                user_id=override.user_id,
                reason_code=override.reason_code,
                comment=override.comment,
                created_at=deps.clock(),
            ),
        )
    if added:
        metrics.OVERRIDES.inc()


async def record_feedback(deps: CdsDeps, items: list[Feedback]) -> FeedbackOutcome:
    """Feedback names cards only by uuid; what they were about comes from the stored card."""
    recorded, unknown = 0, []
    for item in items:
        async with deps.db.read() as conn:
            card = await deps.store.card(conn, item.card_uuid)
        if card is None:
            unknown.append(item.card_uuid)
            continue
        if item.outcome == "overridden":
            record = OverrideRecord(
                card_uuid=card.uuid,
                rule_id=card.rule_id,
                patient_id=card.patient_id,
                encounter_id=card.encounter_id,
                user_id=item.user_id,
                reason_code=item.reason_code or UNSPECIFIED,
                comment=item.comment,
            )
            await record_override(deps, record)
        else:
            await _accept(deps, card.uuid, item)
        recorded += 1
    return FeedbackOutcome(recorded, unknown)


async def _accept(deps: CdsDeps, card_uuid: str, item: Feedback) -> None:
    async with deps.db.transaction() as conn:
        for suggestion in item.accepted_suggestions:
            await deps.store.add_acceptance(conn, card_uuid, suggestion, item.user_id, deps.clock())


async def override_statistics(deps: CdsDeps, since: datetime | None) -> list[RuleStatistics]:
    async with deps.db.read() as conn:
        return await deps.store.statistics(conn, since)
