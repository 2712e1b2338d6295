"""The declared access policy the authorization matrix tests are generated from.

It is written from the security design, not from the implementation: what each role may do (SMART
letters ``cruds``) with each group of resource types. A change of policy is a change here first.
"""

from __future__ import annotations

C, N, M, A, F, R = "clinical", "notes", "medication", "administrative", "financial", "reference"
POLICY: dict[str, dict[str, str]] = {
    "clinician": {C: "cruds", N: "cruds", M: "cruds", A: "cruds", F: "rs", R: "rs"},
    "nurse": {C: "crus", N: "crus", M: "crus", A: "crus", R: "rs"},
    "pharmacist": {C: "rs", M: "cruds", A: "rs", R: "rs"},
    "care-coordinator": {C: "rs", M: "rs", A: "crus", R: "rs"},
    "billing": {F: "cruds", A: "rs", R: "rs"},
    "researcher": {},
    "admin": {R: "cruds"},
    "privacy-officer": {},
    "patient": {C: "rs", N: "rs", M: "rs", A: "rs", F: "rs", R: "rs"},
}
PATIENT_WRITES = {
    "QuestionnaireResponse": "crus",
    "Communication": "crus",
    "Observation": "crus",
    "Patient": "rus",
}
BREAK_GLASS = {"clinician", "nurse"}
