"""Login sessions at the authorization server: absolute expiry and automatic logoff when idle
(45 CFR 164.312(a)(2)(iii))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionPolicy:
    absolute: timedelta = timedelta(hours=8)
    idle: timedelta = timedelta(minutes=15)

    def expires_at(self, created_at: datetime) -> datetime:
        return created_at + self.absolute

    def is_active(self, *, expires_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now < expires_at and now - last_seen_at < self.idle
