"""What the cds use cases need from storage, as plain records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from caremesh.kernel.db.base import Connection


@dataclass(frozen=True)
class StoredCard:
    uuid: str
    rule_id: str
    kind: str
    indicator: str
    hook: str
    hook_instance: str | None
    patient_id: str
    encounter_id: str | None
    user_id: str | None
    subject_key: str
    suppressed: bool
    knowledge_version: str
    created_at: datetime


@dataclass(frozen=True)
class ShownAlert:
    subject_key: str
    rule_id: str
    rank: int


@dataclass(frozen=True)
class StoredOverride:
    card_uuid: str
    rule_id: str
    patient_id: str
    encounter_id: str | None
    user_id: str
    reason_code: str
    comment: str | None
    created_at: datetime


@dataclass
class RuleStatistics:
    rule_id: str
    shown: int = 0
    overridden: int = 0
    accepted: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class CardStore(Protocol):
    async def encounter_ranks(self, conn: Connection, patient_id: str, encounter_id: str) -> dict[str, int]:
        """Highest indicator rank shown so far per alert subject in this encounter."""
        ...

    async def remember_shown(
        self, conn: Connection, patient_id: str, encounter_id: str, alerts: list[ShownAlert], at: datetime
    ) -> None: ...

    async def save_cards(self, conn: Connection, cards: list[StoredCard]) -> None: ...

    async def card(self, conn: Connection, uuid: str) -> StoredCard | None: ...

    async def add_override(self, conn: Connection, override: StoredOverride) -> bool:
        """Store the override; False when one is already recorded for the card (idempotent)."""
        ...

    async def add_acceptance(
        self, conn: Connection, card_uuid: str, suggestion_uuid: str, user_id: str, at: datetime
    ) -> None: ...

    async def statistics(self, conn: Connection, since: datetime | None) -> list[RuleStatistics]: ...
