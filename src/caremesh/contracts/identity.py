"""Published language of the identity module (SMART on FHIR authorization server).

Other processes verify access tokens themselves against the issuer's JWKS (HTTP,
``/.well-known/jwks.json``); this API is for modules that need to know about users.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from caremesh.contracts.base import Dto, query


class UserView(Dto):
    """A user as other modules may see it: no credentials, no contact data."""

    user_id: str
    username: str
    role: str  # clinician, nurse, pharmacist, billing, care-coordinator, researcher, admin, patient
    patient_id: str | None = None  # the Patient a patient user is
    fhir_user: str | None = None  # e.g. "Practitioner/123" or "Patient/456"


class IdentityAPI(Protocol):
    module: ClassVar[str] = "identity"
    api_name: ClassVar[str] = "identity"

    @query
    async def get_user(self, user_id: str) -> UserView | None: ...
