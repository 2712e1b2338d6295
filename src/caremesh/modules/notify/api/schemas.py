"""Request and response bodies of the notify HTTP API.

Shapes and sizes are checked here; the rules (valid address, known time zone, a contact point
for every enabled channel) are the domain's, so the API and the demo loader apply the same ones.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from caremesh.contracts.notify import NotificationView
from caremesh.modules.notify.domain.preferences import CATEGORIES, CHANNELS, Preferences

IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
PatientId = Annotated[str, Path(pattern=IDENTIFIER, description="opaque patient identifier")]
NotificationId = Annotated[str, Path(pattern=IDENTIFIER, description="notification identifier")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecipientIn(_Body):
    preferred_name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=16, description="E.164, e.g. +12025550101")
    push_token: str | None = Field(None, max_length=4096, description="Expo push token")
    channels: list[Annotated[str, Field(max_length=16)]] = Field(..., max_length=3)
    opted_out_categories: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=16
    )
    timezone: str = Field(..., min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Berlin")

    def to_preferences(self, patient_id: str) -> Preferences:
        return Preferences(
            patient_id=patient_id,
            preferred_name=self.preferred_name,
            email=self.email,
            phone=self.phone,
            push_token=self.push_token,
            channels=frozenset(self.channels),
            opted_out=frozenset(self.opted_out_categories),
            timezone=self.timezone,
        )


class RecipientOut(RecipientIn):
    patient_id: str

    @classmethod
    def of(cls, prefs: Preferences) -> RecipientOut:
        return cls(
            patient_id=prefs.patient_id,
            preferred_name=prefs.preferred_name,
            email=prefs.email,
            phone=prefs.phone,
            push_token=prefs.push_token,
            channels=[c for c in CHANNELS if c in prefs.channels],
            opted_out_categories=[c for c in CATEGORIES if c in prefs.opted_out],
            timezone=prefs.timezone,
        )


class SendIn(_Body):
    patient_id: str = Field(..., pattern=IDENTIFIER)
    template: str = Field(..., min_length=1, max_length=100)
    variables: dict[str, Any] = Field(default_factory=dict)
    channels: list[Annotated[str, Field(max_length=16)]] | None = Field(None, min_length=1, max_length=3)


class SendOut(BaseModel):
    notifications: list[NotificationView]


class NotificationList(BaseModel):
    items: list[NotificationView]
