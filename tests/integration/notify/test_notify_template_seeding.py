"""Seeding templates: shipped defaults are installed once and upgraded by version; edits are kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from caremesh.kernel.clock import utcnow
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.modules.notify.adapters.template_files import load_default_templates
from caremesh.modules.notify.adapters.templates_sql import SqlTemplateStore
from caremesh.modules.notify.domain.templates import CUSTOM, MessageTemplate

STORE = SqlTemplateStore()
KEY = "appointment_reminder"


@pytest.fixture
async def notify_db(database_url: str) -> AsyncIterator[Database]:
    db = open_database(database_url, "notify")
    await db.connect()
    await migrate(db, "notify", "caremesh.modules.notify.adapters.migrations")
    try:
        yield db
    finally:
        await db.close()


async def seed(db: Database, templates: list[MessageTemplate]) -> int:
    async with db.transaction() as conn:
        return await STORE.seed(conn, templates, now=utcnow())


async def test_a_newer_shipped_version_upgrades_defaults_but_not_operator_edits(notify_db: Database) -> None:
    shipped = load_default_templates()
    assert await seed(notify_db, shipped) == len(shipped)
    assert await seed(notify_db, shipped) == 0
    async with notify_db.transaction() as conn:
        await conn.execute(
            "UPDATE templates SET body = 'Our own words', source = $1 "
            "WHERE template_key = $2 AND channel = 'sms'",
            CUSTOM,
            KEY,
        )
    upgraded = [replace(t, version=t.version + 1, body=t.body + " v2") for t in shipped if t.key == KEY]

    assert await seed(notify_db, upgraded) == 2  # email and push; the customised SMS stays

    async with notify_db.read() as conn:
        templates = await STORE.for_key(conn, KEY)
    assert templates["sms"].body == "Our own words" and templates["sms"].version == 1
    assert templates["email"].body.endswith(" v2") and templates["email"].version == 2
    assert await seed(notify_db, [replace(t, version=1) for t in upgraded]) == 0  # never downgraded
