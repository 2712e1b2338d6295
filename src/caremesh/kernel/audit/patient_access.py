"""Patient data behind a module's /v1 API: who may reach it, and the audit of every access.

The same rules as the FHIR API (docs/security-audit.md): caremesh services pass; a patient (the
``patient`` role, a ``Patient/`` fhirUser, or a patient launch context without a role) is
confined to their own records; staff act per the module's role tables; a user token without roles
passes only where the module allows it (``roleless_users``). Every refusal is the same 403 whether
or not the record exists, and is audited (best effort); every access is audited before its answer
is sent (503 and no data when that fails).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from fastapi import Request

from caremesh.kernel.audit.access import access_record
from caremesh.kernel.audit.record import MINOR_FAILURE
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import Forbidden, NotFound
from caremesh.kernel.security.principal import Principal

DENIED = "access denied: your role does not permit this, or there is no such record"

T = TypeVar("T")


def confined_to(principal: Principal) -> str | None:
    """The patient a confined caller may act for ("" when it has none), or None if not confined."""
    fhir_user = principal.fhir_user or ""
    is_patient = "patient" in principal.roles or fhir_user.startswith("Patient/")
    if not is_patient and not (principal.patient is not None and not principal.roles):
        return None
    if principal.patient is not None:
        return principal.patient
    return fhir_user.removeprefix("Patient/") if fhir_user.startswith("Patient/") else ""


class PatientDataAccess:
    def __init__(self, db: Database, *, source: str, roleless_users: bool = True) -> None:
        self.db = db
        self.source = source
        self.roleless_users = roleless_users  # whether a user token without roles is let through

    def permitted(self, principal: Principal, staff: frozenset[str], *, patients_may: bool) -> bool:
        if principal.kind == "service":
            return True
        if confined_to(principal) is not None:
            return patients_may
        return (self.roleless_users and not principal.roles) or bool(staff.intersection(principal.roles))

    async def allow(
        self,
        request: Request,
        principal: Principal,
        interaction: str,
        staff: frozenset[str],
        *,
        patients_may: bool = True,
        patient: str | None = None,
        resource: str | None = None,
    ) -> str | None:
        """Refuse before any data is read; returns the patient a confined caller is limited to.

        ``patient`` is the patient the request names (a body field, a query filter), if any.
        """
        own = confined_to(principal)
        allowed = self.permitted(principal, staff, patients_may=patients_may)
        if not allowed or (own is not None and patient is not None and patient != own):
            await self.refuse(request, principal, interaction, resource=resource, patients=_some(patient))
        return own

    async def one(
        self,
        request: Request,
        principal: Principal,
        interaction: str,
        resource: str,
        load: Callable[[], Awaitable[T]],
        patient_of: Callable[[T], str],
    ) -> T:
        """Load a record the caller was allowed to ask for; a confined caller gets the same 403
        for someone else's record as for a missing one."""
        own = confined_to(principal)
        try:
            found = await load()
        except NotFound:
            if own is not None:
                await self.refuse(request, principal, interaction, resource=resource)
            raise
        if own is not None and patient_of(found) != own:
            await self.refuse(
                request, principal, interaction, resource=resource, patients=[patient_of(found)]
            )
        return found

    async def audit(
        self,
        request: Request,
        principal: Principal,
        interaction: str,
        *,
        patients: Iterable[str] = (),
        resource: str | None = None,
        query: str | None = None,
    ) -> None:
        """Returns once the record is committed; raises AuditUnavailable (503) otherwise."""
        record = access_record(
            request, principal, interaction, source=self.source, patients=patients, resource=resource,
            query=query,
        )  # fmt: skip
        await AuditWriter.of(self.db).record(record)

    async def refuse(
        self,
        request: Request,
        principal: Principal,
        interaction: str,
        *,
        resource: str | None = None,
        patients: Iterable[str] = (),
    ) -> None:
        record = access_record(
            request, principal, interaction, source=self.source, patients=patients, resource=resource,
            outcome=MINOR_FAILURE,
        )  # fmt: skip
        await AuditWriter.of(self.db).record_best_effort(replace(record, description="access denied"))
        raise Forbidden(DENIED)


def _some(patient: str | None) -> tuple[str, ...]:
    return () if patient is None else (patient,)
