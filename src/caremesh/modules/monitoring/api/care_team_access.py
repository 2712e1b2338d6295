"""Who may use the care-team API: staff and services, never a patient acting as themselves."""

from __future__ import annotations

from fastapi import Depends

from caremesh.kernel.errors import Forbidden
from caremesh.kernel.security.principal import Principal, require_principal

PATIENT_ROLE = "patient"


async def require_staff(principal: Principal = Depends(require_principal)) -> Principal:
    if PATIENT_ROLE in principal.roles or (principal.fhir_user or "").startswith("Patient/"):
        raise Forbidden("the care-team API is for care-team staff")
    return principal
