"""SQL storage of cards, per-encounter alert memory, overrides and accepted suggestions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from caremesh.kernel.db.base import Connection
from caremesh.modules.cds.application.ports import (
    RuleStatistics,
    ShownAlert,
    StoredCard,
    StoredOverride,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CARD_COLUMNS = (
    "uuid, rule_id, kind, indicator, hook, hook_instance, patient_id, encounter_id, user_id,"
    " subject_key, suppressed, knowledge_version, created_at"
)


class SqlCardStore:
    async def encounter_ranks(self, conn: Connection, patient_id: str, encounter_id: str) -> dict[str, int]:
        rows = await conn.fetch(
            "SELECT subject_key, highest_rank FROM cds_encounter_alerts"
            " WHERE patient_id = $1 AND encounter_id = $2",
            patient_id,
            encounter_id,
        )
        return {row["subject_key"]: int(row["highest_rank"]) for row in rows}

    async def remember_shown(
        self, conn: Connection, patient_id: str, encounter_id: str, alerts: list[ShownAlert], at: datetime
    ) -> None:
        if not alerts:
            return
        await conn.executemany(
            "INSERT INTO cds_encounter_alerts (patient_id, encounter_id, subject_key, rule_id, highest_rank,"
            " times_shown, first_shown_at, last_shown_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)"
            " ON CONFLICT (patient_id, encounter_id, subject_key) DO UPDATE SET"
            " highest_rank = CASE WHEN excluded.highest_rank > cds_encounter_alerts.highest_rank"
            " THEN excluded.highest_rank ELSE cds_encounter_alerts.highest_rank END,"
            " times_shown = cds_encounter_alerts.times_shown + 1, last_shown_at = excluded.last_shown_at",
            [(patient_id, encounter_id, a.subject_key, a.rule_id, a.rank, at) for a in alerts],
        )

    async def save_cards(self, conn: Connection, cards: list[StoredCard]) -> None:
        if not cards:
            return
        await conn.executemany(
            f"INSERT INTO cds_cards ({_CARD_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            [_card_row(card) for card in cards],
        )

    async def card(self, conn: Connection, uuid: str) -> StoredCard | None:
        row = await conn.fetchrow(f"SELECT {_CARD_COLUMNS} FROM cds_cards WHERE uuid = $1", uuid)
        if row is None:
            return None
        values = dict(zip(_CARD_COLUMNS.replace(" ", "").split(","), row, strict=True))
        values["suppressed"] = bool(values["suppressed"])
        return StoredCard(**values)

    async def add_override(self, conn: Connection, override: StoredOverride) -> bool:
        changed = await conn.execute(
            "INSERT INTO cds_overrides (card_uuid, rule_id, patient_id, encounter_id, user_id, reason_code,"
            " comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (card_uuid) DO NOTHING",
            override.card_uuid,
            override.rule_id,
            override.patient_id,
            override.encounter_id,
            override.user_id,
            override.reason_code,
            override.comment,
            override.created_at,
        )
        return changed > 0

    async def add_acceptance(
        self, conn: Connection, card_uuid: str, suggestion_uuid: str, user_id: str, at: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO cds_accepted_suggestions (card_uuid, suggestion_uuid, user_id, created_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (card_uuid, suggestion_uuid) DO NOTHING",
            card_uuid,
            suggestion_uuid,
            user_id,
            at,
        )

    async def statistics(self, conn: Connection, since: datetime | None) -> list[RuleStatistics]:
        floor = since or EPOCH
        stats: dict[str, RuleStatistics] = {}

        def entry(rule_id: str) -> RuleStatistics:
            return stats.setdefault(rule_id, RuleStatistics(rule_id))

        for row in await conn.fetch(
            "SELECT rule_id, COUNT(*) AS n FROM cds_cards WHERE suppressed = 0 AND created_at >= $1"
            " GROUP BY rule_id",
            floor,
        ):
            entry(row["rule_id"]).shown = int(row["n"])
        for row in await conn.fetch(
            "SELECT rule_id, reason_code, COUNT(*) AS n FROM cds_overrides WHERE created_at >= $1"
            " GROUP BY rule_id, reason_code",
            floor,
        ):
            item = entry(row["rule_id"])
            item.overridden += int(row["n"])
            item.reasons[row["reason_code"]] = int(row["n"])
        for row in await conn.fetch(
            "SELECT c.rule_id, COUNT(DISTINCT a.card_uuid) AS n FROM cds_accepted_suggestions a"
            " JOIN cds_cards c ON c.uuid = a.card_uuid WHERE a.created_at >= $1 GROUP BY c.rule_id",
            floor,
        ):
            entry(row["rule_id"]).accepted = int(row["n"])
        return sorted(stats.values(), key=lambda s: s.rule_id)


def _card_row(card: StoredCard) -> tuple[Any, ...]:
    return (
        card.uuid,
        card.rule_id,
        card.kind,
        card.indicator,
        card.hook,
        card.hook_instance,
        card.patient_id,
        card.encounter_id,
        card.user_id,
        card.subject_key,
        1 if card.suppressed else 0,
        card.knowledge_version,
        card.created_at,
    )
