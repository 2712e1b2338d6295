"""What one delivery attempt came to, and how that is recorded.

Each record commits in one transaction: the attempt row, the notification's new status and, for
a final status, the NotificationDelivered / NotificationFailed event in the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from caremesh.contracts.notify import NotificationDelivered, NotificationFailed
from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.events.outbox import Outbox
from caremesh.modules.notify.application import metrics
from caremesh.modules.notify.application.ports import AttemptRecord, NotificationStore
from caremesh.modules.notify.domain.delivery import DeliveryError, Receipt
from caremesh.modules.notify.domain.notification import FAILED, SKIPPED, DueNotification
from caremesh.modules.notify.domain.retry import BackoffPolicy, GiveUp, after_failure

log = structlog.get_logger(__name__)

_MAX_ERROR = 1000


@dataclass(frozen=True)
class Sent:
    provider: str
    receipt: Receipt
    started_at: datetime


@dataclass(frozen=True)
class Fail:
    provider: str
    error: DeliveryError
    started_at: datetime


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Postpone:
    until: datetime
    note: str


Outcome = Sent | Fail | Skip | Postpone


def _error_text(error: DeliveryError) -> str:
    return f"{error.code}: {error.detail}"[:_MAX_ERROR]


class OutcomeRecorder:
    def __init__(
        self,
        *,
        db: Database,
        store: NotificationStore,
        outbox: Outbox,
        policy: BackoffPolicy,
        clock: Clock,
        rand: Callable[[], float],
    ) -> None:
        self._db, self._store, self._outbox = db, store, outbox
        self._policy, self._clock, self._rand = policy, clock, rand

    async def record(self, due: DueNotification, outcome: Outcome) -> None:
        async with self._db.transaction() as conn:
            if isinstance(outcome, Sent):
                await self._sent(conn, due, outcome)
            elif isinstance(outcome, Fail):
                await self._failed(conn, due, outcome)
            elif isinstance(outcome, Skip):
                await self._skipped(conn, due, outcome)
            else:
                await self._store.reschedule(
                    conn,
                    due.id,
                    at=outcome.until,
                    attempts=due.attempts,
                    note=outcome.note,
                    now=self._clock(),
                )

    async def _attempt(self, conn: Connection, due: DueNotification, outcome: Sent | Fail, kind: str) -> None:
        error = _error_text(outcome.error) if isinstance(outcome, Fail) else None
        message_id = outcome.receipt.provider_message_id if isinstance(outcome, Sent) else None
        await self._store.record_attempt(
            conn,
            AttemptRecord(
                notification_id=due.id, attempt=due.attempts + 1, provider=outcome.provider, outcome=kind,
                error=error, provider_message_id=message_id, started_at=outcome.started_at,
                finished_at=self._clock(),
            ),
        )  # fmt: skip

    async def _sent(self, conn: Connection, due: DueNotification, outcome: Sent) -> None:
        now, attempts = self._clock(), due.attempts + 1
        await self._attempt(conn, due, outcome, "delivered")
        await self._store.mark_delivered(conn, due.id, attempts=attempts, now=now)
        await self._outbox.add(
            conn,
            NotificationDelivered(
                notification_id=due.id, patient_id=due.patient_id, channel=str(due.channel),
                template=due.template, category=due.category, appointment_id=due.appointment_id,
                provider=outcome.provider, attempts=attempts, delivered_at=now,
            ),
        )  # fmt: skip
        conn.on_commit(metrics.NOTIFICATIONS_SENT.labels(str(due.channel)).inc)
        log.info("notification delivered", notification_id=due.id, channel=due.channel, attempt=attempts)

    async def _failed(self, conn: Connection, due: DueNotification, outcome: Fail) -> None:
        now, attempts, error = self._clock(), due.attempts + 1, outcome.error
        kind = "permanent-error" if error.permanent else "transient-error"
        await self._attempt(conn, due, outcome, kind)
        decision = after_failure(
            self._policy,
            attempts=attempts,
            permanent=error.permanent,
            code=error.code,
            now=now,
            rand=self._rand(),
        )
        log.info("notification attempt failed", notification_id=due.id, channel=due.channel,
                 attempt=attempts, error=error.code, outcome=kind)  # fmt: skip
        if not isinstance(decision, GiveUp):
            await self._store.reschedule(conn, due.id, at=decision.at, attempts=attempts,
                                         note=_error_text(error), now=now)  # fmt: skip
            conn.on_commit(metrics.NOTIFICATIONS_RETRIED.labels(str(due.channel)).inc)
            return
        if await self._store.finish(conn, due.id, status=FAILED, attempts=attempts,
                                    reason=_error_text(error), now=now):  # fmt: skip
            await self._outbox.add(
                conn,
                NotificationFailed(
                    notification_id=due.id, patient_id=due.patient_id, channel=str(due.channel),
                    template=due.template, category=due.category, appointment_id=due.appointment_id,
                    reason=decision.reason, attempts=attempts, failed_at=now,
                ),
            )  # fmt: skip
            conn.on_commit(metrics.NOTIFICATIONS_FAILED.labels(str(due.channel)).inc)

    async def _skipped(self, conn: Connection, due: DueNotification, outcome: Skip) -> None:
        if await self._store.finish(
            conn, due.id, status=SKIPPED, attempts=due.attempts, reason=outcome.reason, now=self._clock()
        ):
            conn.on_commit(metrics.NOTIFICATIONS_SKIPPED.labels(str(due.channel)).inc)
            log.info(
                "notification skipped", notification_id=due.id, channel=due.channel, outcome=outcome.reason
            )
