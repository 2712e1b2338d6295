"""Published language of the notify module (email / SMS / push delivery to patients).

"Delivered" means the provider accepted the message (SMTP server, SMS or push gateway); read
receipts are not tracked. Failure reasons are short codes, never addresses or message text.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol

from caremesh.contracts.base import Dto, Event, query


class NotificationDelivered(Event):
    event_type: ClassVar[str] = "notify.NotificationDelivered"

    notification_id: str
    patient_id: str
    channel: str
    template: str
    category: str
    appointment_id: str | None = None
    provider: str
    attempts: int
    delivered_at: datetime

    def aggregate_id(self) -> str:
        return self.notification_id


class NotificationFailed(Event):
    event_type: ClassVar[str] = "notify.NotificationFailed"

    notification_id: str
    patient_id: str
    channel: str
    template: str
    category: str
    appointment_id: str | None = None
    reason: str  # a code such as "provider-rejected", "invalid-address", "max-attempts"
    attempts: int
    failed_at: datetime

    def aggregate_id(self) -> str:
        return self.notification_id


class DeliveryAttemptView(Dto):
    attempt: int
    provider: str
    outcome: str  # "delivered", "transient-error" or "permanent-error"
    error: str | None = None
    started_at: datetime
    finished_at: datetime


class NotificationView(Dto):
    id: str
    patient_id: str
    kind: str  # "message" or "reminder"
    template: str
    category: str
    channel: str | None  # None when the recipient had no channel to use at all
    appointment_id: str | None = None
    status: str  # "pending", "delivered", "failed", "skipped" or "cancelled"
    attempts: int
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None
    history: list[DeliveryAttemptView] = []


class NotifyAPI(Protocol):
    """What other modules (e.g. the portal) may ask notify synchronously."""

    module: ClassVar[str] = "notify"
    api_name: ClassVar[str] = "notify"

    @query
    async def get_notification(self, notification_id: str) -> NotificationView | None: ...

    @query
    async def list_notifications(self, patient_id: str, limit: int = 100) -> list[NotificationView]: ...
