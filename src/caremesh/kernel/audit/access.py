"""Auditing an access from any module's API, the way the FHIR layer does it.

A module handler that returns or changes patient data calls :func:`record_access` after it has
the data and before it answers; the call returns once the record is committed and raises
``AuditUnavailable`` (503) otherwise, so the data is never sent unaudited::

    await record_access(ctx.db, request, principal, "read", patients=(appointment.patient_id,),
                        resource=f"Appointment/{appointment.id}", source="caremesh/scheduling")
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from fastapi import Request

from caremesh.kernel.audit.record import SUCCESS, AuditRecord
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.db.base import Database
from caremesh.kernel.security.principal import Principal


def access_record(
    request: Request,
    principal: Principal,
    interaction: str,
    *,
    source: str,
    patients: Iterable[str] = (),
    resource: str | None = None,
    query: str | None = None,
    outcome: str = SUCCESS,
) -> AuditRecord:
    client = request.client
    return AuditRecord(
        interaction=interaction,
        outcome=outcome,
        subject=principal.subject,
        client_id=principal.client_id,
        source=source,
        kind=principal.kind,
        roles=principal.roles,
        address=client.host if client else None,
        patients=tuple(dict.fromkeys(patients)),
        resource=resource,
        query=query,
        token_id=principal.token_id,
        request_id=structlog.contextvars.get_contextvars().get("request_id"),
    )


async def record_access(
    db: Database,
    request: Request,
    principal: Principal,
    interaction: str,
    *,
    source: str,
    patients: Iterable[str] = (),
    resource: str | None = None,
    query: str | None = None,
) -> None:
    record = access_record(
        request, principal, interaction, source=source, patients=patients, resource=resource, query=query
    )
    await AuditWriter.of(db).record(record)
