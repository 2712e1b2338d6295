"""``/v1/notifications``: the notification log of a patient, one notification, ad-hoc sends.

Each route checks who may act on whose notifications and audits the access (``api/access.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from caremesh.contracts.notify import NotificationView
from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.errors import NotFound
from caremesh.kernel.http import respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.notify.api.access import SENDERS, STAFF_READERS, PatientDataAccess
from caremesh.modules.notify.api.schemas import IDENTIFIER, NotificationId, NotificationList, SendIn, SendOut
from caremesh.modules.notify.application.commands import SendTemplate, send_template
from caremesh.modules.notify.application.facade import MAX_LIST
from caremesh.modules.notify.application.ports import NotificationStore, RecipientStore, TemplateStore
from caremesh.modules.notify.application.rendering import Renderer


@dataclass(frozen=True)
class NotificationsDeps:
    db: Database
    store: NotificationStore
    recipients: RecipientStore
    templates: TemplateStore
    renderer: Renderer
    idempotency: IdempotencyService
    ensure_templates: Callable[[], Awaitable[object]]
    wake_delivery: Callable[[], None]
    clock: Clock


def notifications_router(deps: NotificationsDeps) -> APIRouter:
    router = APIRouter(prefix="/v1/notifications", tags=["notify"])
    access = PatientDataAccess(deps.db)

    @router.get("", response_model=NotificationList)
    async def list_notifications(
        request: Request,
        patient_id: Annotated[str, Query(pattern=IDENTIFIER)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
        principal: Principal = Depends(require_principal),
    ) -> NotificationList:
        """Newest first; the attempt history is only in the single-notification view."""
        await access.allow(request, principal, "search", STAFF_READERS, patient=patient_id)
        async with deps.db.read() as conn:
            items = await deps.store.list_for_patient(conn, patient_id, limit=limit)
        await access.audit(request, principal, "search", patients=[patient_id], query=request.url.query)
        return NotificationList(items=items)

    @router.get("/{notification_id}", response_model=NotificationView)
    async def get_notification(
        notification_id: NotificationId, request: Request, principal: Principal = Depends(require_principal)
    ) -> NotificationView:
        resource = f"Communication/{notification_id}"
        await access.allow(request, principal, "read", STAFF_READERS, resource=resource)

        async def load() -> NotificationView:
            async with deps.db.read() as conn:
                view = await deps.store.get(conn, notification_id)
            if view is None:
                raise NotFound(f"no notification {notification_id}")
            return view

        view = await access.one(request, principal, "read", resource, load, lambda v: v.patient_id)
        await access.audit(request, principal, "read", patients=[view.patient_id], resource=resource)
        return view

    @router.post("", status_code=202, response_model=SendOut)
    async def send(
        request: Request, body: SendIn, principal: Principal = Depends(require_principal)
    ) -> Response:
        """Send a template to a patient on their enabled channels; requires an Idempotency-Key."""
        await access.allow(request, principal, "create", SENDERS, patients_may=False, patient=body.patient_id)
        await deps.ensure_templates()

        async def operation(conn: Connection) -> StoredResponse:
            command = SendTemplate(body.patient_id, body.template, body.variables, body.channels)
            ids = await send_template(
                conn, command, store=deps.store, recipients=deps.recipients, templates=deps.templates,
                renderer=deps.renderer, now=deps.clock(),
            )  # fmt: skip
            conn.on_commit(deps.wake_delivery)
            views = [view for i in ids if (view := await deps.store.get(conn, i)) is not None]
            return StoredResponse.json(202, SendOut(notifications=views).model_dump(mode="json"))

        response = await respond_idempotently(
            request, service=deps.idempotency, principal=principal, operation=operation
        )
        await access.audit(request, principal, "create", patients=[body.patient_id], resource="Communication")
        return response

    return router
