"""Telling care-team staff about monitoring alerts (``monitoring.AlertRaised`` / ``AlertEscalated``).

Staff are recipients like patients, under the id ``staff:<staff_id>`` in the same recipients
table (contact points, channels, time zone; ``PUT /v1/notify/staff/{staff_id}``), so delivery,
retries, outcomes and the notifications API work for them unchanged. Messages carry the alert's
id, rule and severity and the opaque patient id, never readings: an SMS or push is not the place
for clinical values, the dashboard is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from caremesh.contracts.monitoring import AlertEscalated, AlertRaised
from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection
from caremesh.kernel.events.consumer import HandlerContext
from caremesh.modules.notify.application.ports import NotificationStore, RecipientStore, TemplateStore
from caremesh.modules.notify.application.queueing import MessageRequest, queue_message
from caremesh.modules.notify.domain.notification import MESSAGE
from caremesh.modules.notify.domain.preferences import EMAIL, PUSH, SMS
from caremesh.modules.notify.domain.templates import MessageTemplate

CARE_TEAM_ALERTS = "care-team-alerts"
RAISED_TEMPLATE = "monitoring_alert_raised"
ESCALATED_TEMPLATE = "monitoring_alert_escalated"
_VERSION = 1


def staff_recipient_id(staff_id: str) -> str:
    return f"staff:{staff_id}"


def _templates(key: str, headline: str, sms: str) -> list[MessageTemplate]:
    body = (
        f"{headline}\n\nPatient: {{{{ patient_id }}}}\nRule: {{{{ rule_id }}}}\nAlert: {{{{ alert_id }}}}\n\n"
        "Acknowledge it on the CareMesh care-team dashboard."
    )
    return [
        MessageTemplate(key, EMAIL, CARE_TEAM_ALERTS, _VERSION, f"[{{{{ severity }}}}] {headline}", body),
        MessageTemplate(key, SMS, CARE_TEAM_ALERTS, _VERSION, None, sms),
        MessageTemplate(key, PUSH, CARE_TEAM_ALERTS, _VERSION, headline, "{{ severity }}: {{ rule_id }}"),
    ]


def care_team_templates() -> list[MessageTemplate]:
    return _templates(
        RAISED_TEMPLATE,
        "Monitoring alert for patient {{ patient_id }}",
        "CareMesh {{ severity }} alert {{ rule_id }} for patient {{ patient_id }}. Alert {{ alert_id }}.",
    ) + _templates(
        ESCALATED_TEMPLATE,
        "Escalated: unacknowledged alert for patient {{ patient_id }}",
        "CareMesh ESCALATED {{ severity }} alert {{ rule_id }} for patient {{ patient_id }}, "
        "unacknowledged since {{ raised_at | local_time }}. Alert {{ alert_id }}.",
    )


class CareTeamAlerts:
    def __init__(
        self,
        *,
        store: NotificationStore,
        recipients: RecipientStore,
        templates: TemplateStore,
        clock: Clock,
        wake_delivery: Callable[[], None],
    ) -> None:
        self._store, self._recipients, self._templates = store, recipients, templates
        self._clock, self._wake = clock, wake_delivery
        self._seeded = False

    async def on_raised(self, event: AlertRaised, hctx: HandlerContext) -> None:
        if event.staff_id is None:  # no care team yet: the alert is on the dashboard only
            return
        await self._queue(hctx.conn, event.staff_id, RAISED_TEMPLATE, self._variables(event))

    async def on_escalated(self, event: AlertEscalated, hctx: HandlerContext) -> None:
        variables = {**self._variables(event), "level": event.level, "raised_at": event.raised_at.isoformat()}
        await self._queue(hctx.conn, event.staff_id, ESCALATED_TEMPLATE, variables)

    @staticmethod
    def _variables(event: AlertRaised | AlertEscalated) -> dict[str, object]:
        return {
            "alert_id": event.alert_id,
            "patient_id": event.patient_id,
            "rule_id": event.rule_id,
            "severity": event.severity,
        }

    async def _queue(
        self, conn: Connection, staff_id: str, template: str, variables: Mapping[str, object]
    ) -> None:
        now = self._clock()
        if not self._seeded:  # in the consumer's transaction: a separate one would wait on SQLite's writer
            await self._templates.seed(conn, care_team_templates(), now=now)
            conn.on_commit(self._mark_seeded)
        recipient = staff_recipient_id(staff_id)
        prefs = await self._recipients.get(conn, recipient)
        request = MessageRequest(
            patient_id=recipient,
            kind=MESSAGE,
            template=template,
            category=CARE_TEAM_ALERTS,
            variables=variables,
            due_at=now,
        )
        await queue_message(conn, request, prefs=prefs, store=self._store, now=now)
        conn.on_commit(self._wake)

    def _mark_seeded(self) -> None:
        self._seeded = True
