"""Commands from the HTTP API: set a patient's preferences, send a template to a patient."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Unprocessable
from caremesh.modules.notify.application.ports import NotificationStore, RecipientStore, TemplateStore
from caremesh.modules.notify.application.queueing import MessageRequest, queue_message
from caremesh.modules.notify.application.rendering import Renderer
from caremesh.modules.notify.domain.notification import MESSAGE
from caremesh.modules.notify.domain.preferences import (
    CHANNELS,
    InvalidPreferences,
    Preferences,
    check_preferences,
    plan_channels,
)
from caremesh.modules.notify.domain.templates import MessageTemplate, TemplateError


async def put_preferences(
    conn: Connection, prefs: Preferences, *, recipients: RecipientStore, now: datetime
) -> Preferences:
    try:
        check_preferences(prefs)
    except InvalidPreferences as exc:
        raise Unprocessable("invalid recipient preferences", details={"errors": exc.problems}) from exc
    await recipients.upsert(conn, prefs, now=now)
    return prefs


@dataclass(frozen=True)
class SendTemplate:
    patient_id: str
    template: str
    variables: Mapping[str, object]
    channels: list[str] | None = None  # None: every enabled channel the template exists for


def _channels(command: SendTemplate, prefs: Preferences, by_channel: dict[str, MessageTemplate]) -> list[str]:
    if command.channels is None:
        return [c for c in prefs.channels if c in by_channel]
    unknown = sorted(set(command.channels) - set(CHANNELS))
    if unknown:
        raise Unprocessable(f"unknown channel(s) {', '.join(unknown)}; use {', '.join(CHANNELS)}")
    missing = sorted(set(command.channels) - set(by_channel))
    if missing:
        raise Unprocessable(
            f"template {command.template!r} has no version for channel(s) {', '.join(missing)}"
        )
    return list(command.channels)


def _dry_run(
    renderer: Renderer, template: MessageTemplate, command: SendTemplate, prefs: Preferences
) -> None:
    """Render now, so a missing variable is the caller's 422 instead of a failed notification later."""
    try:
        renderer.render(
            template, command.variables, timezone=prefs.timezone, recipient_name=prefs.preferred_name
        )
    except TemplateError as exc:
        raise Unprocessable(f"the variables do not fit the template: {exc}") from exc


async def send_template(
    conn: Connection,
    command: SendTemplate,
    *,
    store: NotificationStore,
    recipients: RecipientStore,
    templates: TemplateStore,
    renderer: Renderer,
    now: datetime,
) -> list[str]:
    """Queue ``command`` on the chosen channels; return the new notifications' ids."""
    by_channel = await templates.for_key(conn, command.template)
    if not by_channel:
        raise Unprocessable(f"unknown template {command.template!r}")
    prefs = await recipients.get(conn, command.patient_id)
    if prefs is None:
        raise Unprocessable(
            "the patient has no contact preferences yet; PUT /v1/notify/recipients/{patient_id}"
        )
    channels = _channels(command, prefs, by_channel)
    category = next(iter(by_channel.values())).category
    for decision in plan_channels(prefs, category, channels):
        if decision.sendable and decision.channel is not None:
            _dry_run(renderer, by_channel[decision.channel], command, prefs)
    request = MessageRequest(
        patient_id=command.patient_id,
        kind=MESSAGE,
        template=command.template,
        category=category,
        variables=command.variables,
        due_at=now,
        channels=channels,
    )
    return await queue_message(conn, request, prefs=prefs, store=store, now=now)
