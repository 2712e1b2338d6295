"""Who may read or act on pharmacy orders, and the audit of every such access.

The same rules as the FHIR API (docs/security-audit.md) for this module's /v1 routes: caremesh
services pass; the verification queue is a pharmacy work list, so patients (and tokens without a
role) are refused; staff act per the table below. Refusals are audited (best effort); every
access is audited before its answer is sent (503 and no data when that fails).
"""

from __future__ import annotations

from caremesh.kernel.audit import patient_access
from caremesh.kernel.audit.patient_access import confined_to
from caremesh.kernel.db.base import Database

SOURCE = "caremesh/pharmacy"
READERS = frozenset({"pharmacist", "clinician", "nurse"})
PHARMACISTS = frozenset({"pharmacist"})

__all__ = ["PHARMACISTS", "READERS", "PatientDataAccess", "confined_to"]


class PatientDataAccess(patient_access.PatientDataAccess):
    def __init__(self, db: Database, *, roleless_users: bool = True) -> None:
        super().__init__(db, source=SOURCE, roleless_users=roleless_users)
