"""Who may read or change a patient's scheduling records, and the audit of every such access.

The same rules as the FHIR API (docs/security-audit.md), applied to this module's /v1 routes:
caremesh services pass; a patient (the ``patient`` role, a ``Patient/`` fhirUser, or a patient
launch context without a role) is confined to their own records; staff act per the table below.
A user token with no roles keeps full access because development clients and existing callers
use such tokens (the scheduling tests, the edge harness, the e2e booking scenario).
Every refusal is the same 403 whether or not the record exists, and is audited (best effort);
every access is audited before its answer is sent (503 and no data when that fails).
"""

from __future__ import annotations

from caremesh.kernel.audit import patient_access
from caremesh.kernel.audit.patient_access import confined_to
from caremesh.kernel.db.base import Database

SOURCE = "caremesh/scheduling"
STAFF_READERS = frozenset({"clinician", "nurse", "care-coordinator", "admin"})
STAFF_WRITERS = frozenset({"clinician", "nurse", "care-coordinator", "admin"})
# Only staff record whether a visit happened.
OUTCOME_RECORDERS = frozenset({"clinician", "nurse", "care-coordinator", "admin"})

__all__ = ["OUTCOME_RECORDERS", "STAFF_READERS", "STAFF_WRITERS", "PatientDataAccess", "confined_to"]


class PatientDataAccess(patient_access.PatientDataAccess):
    def __init__(self, db: Database, *, roleless_users: bool = True) -> None:
        super().__init__(db, source=SOURCE, roleless_users=roleless_users)
