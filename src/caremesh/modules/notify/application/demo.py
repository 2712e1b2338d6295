"""Demo contact preferences for the synthetic demo patients (example.org mail, 555-01xx numbers)."""

from __future__ import annotations

from typing import Any

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Database
from caremesh.modules.notify.application.commands import put_preferences
from caremesh.modules.notify.application.ports import RecipientStore
from caremesh.modules.notify.application.seeding import TemplateSeeder
from caremesh.modules.notify.domain.preferences import APPOINTMENT_REMINDERS, EMAIL, PUSH, SMS, Preferences

DEMO_RECIPIENTS = (
    Preferences(
        patient_id="pat-demo-0001",
        preferred_name="Avery Quinn",
        email="avery.quinn@example.org",
        phone="+12025550101",
        push_token="ExponentPushToken[demo-avery-quinn-0001]",  # noqa: S106 (not a secret)
        channels=frozenset({EMAIL, SMS, PUSH}),
        timezone="America/New_York",
    ),
    Preferences(
        patient_id="pat-demo-0002",
        preferred_name="Jordan Ellis",
        email="jordan.ellis@example.org",
        phone="+13125550102",
        channels=frozenset({EMAIL, SMS}),
        timezone="America/Chicago",
    ),
    Preferences(
        patient_id="pat-demo-0003",
        preferred_name="Sam Okafor",
        email="sam.okafor@example.org",
        channels=frozenset({EMAIL}),
        opted_out=frozenset({APPOINTMENT_REMINDERS}),
        timezone="Europe/London",
    ),
)


async def load_demo(
    db: Database, *, recipients: RecipientStore, seeder: TemplateSeeder, clock: Clock
) -> dict[str, Any]:
    """Idempotent: templates are seeded once; a demo patient's preferences are only created if
    missing, so choices made through the API during a demo survive a re-run."""
    templates = await seeder.ensure()
    created = 0
    async with db.transaction() as conn:
        for prefs in DEMO_RECIPIENTS:
            if await recipients.get(conn, prefs.patient_id) is None:
                await put_preferences(conn, prefs, recipients=recipients, now=clock())
                created += 1
    return {
        "recipients_created": created,
        "recipients_existing": len(DEMO_RECIPIENTS) - created,
        "templates_seeded": templates,
    }
