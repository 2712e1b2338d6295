"""SQL for recipients: each patient's contact points, enabled channels, opt-outs and time zone."""

from __future__ import annotations

from datetime import datetime

import orjson

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.notify.domain.preferences import CATEGORIES, CHANNELS, Preferences


def _ordered(values: frozenset[str], order: tuple[str, ...]) -> str:
    return orjson.dumps(
        sorted(values, key=lambda v: (order.index(v) if v in order else len(order), v))
    ).decode()


def _preferences(row: Row) -> Preferences:
    return Preferences(
        patient_id=row["patient_id"],
        preferred_name=row["preferred_name"],
        email=row["email"],
        phone=row["phone"],
        push_token=row["push_token"],
        channels=frozenset(orjson.loads(row["channels"])),
        opted_out=frozenset(orjson.loads(row["opted_out"])),
        timezone=row["timezone"],
    )


class SqlRecipientStore:
    async def get(self, conn: Connection, patient_id: str) -> Preferences | None:
        row = await conn.fetchrow(
            "SELECT patient_id, preferred_name, email, phone, push_token, channels, opted_out, timezone "
            "FROM recipients WHERE patient_id = $1",
            patient_id,
        )
        return None if row is None else _preferences(row)

    async def upsert(self, conn: Connection, prefs: Preferences, *, now: datetime) -> None:
        p = prefs
        await conn.execute(
            "INSERT INTO recipients (patient_id, preferred_name, email, phone, push_token, channels, "
            "opted_out, timezone, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT (patient_id) DO UPDATE SET preferred_name = excluded.preferred_name, "
            "email = excluded.email, phone = excluded.phone, push_token = excluded.push_token, "
            "channels = excluded.channels, opted_out = excluded.opted_out, timezone = excluded.timezone, "
            "updated_at = excluded.updated_at",
            p.patient_id, p.preferred_name, p.email, p.phone, p.push_token,
            _ordered(p.channels, CHANNELS), _ordered(p.opted_out, CATEGORIES), p.timezone, now,
        )  # fmt: skip
