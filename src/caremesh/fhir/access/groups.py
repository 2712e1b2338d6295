"""Resource types grouped by what kind of information they hold, for role policies.

Types outside the Patient compartment are shared reference data (a patient may read them) unless
they are listed here as holding personal information without a compartment link (a Binary, a
Contract): those can never be proven to belong to a patient, so confined callers never see them.
"""

from __future__ import annotations

from caremesh.fhir.definitions import Definitions

CLINICAL, NOTES, MEDICATION, ADMINISTRATIVE, FINANCIAL, REFERENCE = (
    "clinical", "notes", "medication", "administrative", "financial", "reference",
)  # fmt: skip
GROUPS = (CLINICAL, NOTES, MEDICATION, ADMINISTRATIVE, FINANCIAL, REFERENCE)

_NOTES = frozenset({
    "DocumentReference", "DocumentManifest", "Composition", "ClinicalImpression", "Binary", "Bundle", "Media",
})  # fmt: skip
_MEDICATION = frozenset({
    "Medication", "MedicationRequest", "MedicationDispense", "MedicationAdministration",
    "MedicationStatement", "MedicationKnowledge", "Immunization", "ImmunizationRecommendation",
})  # fmt: skip
_ADMINISTRATIVE = frozenset({
    "Patient", "Person", "RelatedPerson", "Practitioner", "PractitionerRole", "Organization", "Location",
    "HealthcareService", "Endpoint", "Appointment", "AppointmentResponse", "Schedule", "Slot",
    "Encounter", "EpisodeOfCare", "Group", "Flag", "Task", "Communication", "CommunicationRequest",
    "Consent", "Provenance", "AuditEvent", "Basic", "List", "QuestionnaireResponse",
})  # fmt: skip
_FINANCIAL = frozenset({
    "Account", "ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse", "Contract", "Coverage",
    "CoverageEligibilityRequest", "CoverageEligibilityResponse", "EnrollmentRequest", "EnrollmentResponse",
    "ExplanationOfBenefit", "InsurancePlan", "Invoice", "PaymentNotice", "PaymentReconciliation",
})  # fmt: skip
# Outside the compartment, yet about a person: never shared reference data.
_PERSONAL_WITHOUT_COMPARTMENT = frozenset({
    "Binary", "Bundle", "Contract", "Device", "EnrollmentResponse", "GuidanceResponse", "Linkage",
    "MessageHeader", "PaymentNotice", "PaymentReconciliation", "Subscription", "VerificationResult",
    "BiologicallyDerivedProduct",
})  # fmt: skip
# Shared directory entries, readable by anyone allowed to read reference data.
_DIRECTORY = frozenset({
    "Practitioner", "PractitionerRole", "Organization", "Location", "HealthcareService", "Endpoint",
    "Medication", "MedicationKnowledge", "InsurancePlan", "ChargeItemDefinition",
})  # fmt: skip

_BY_GROUP = (
    (NOTES, _NOTES), (MEDICATION, _MEDICATION), (FINANCIAL, _FINANCIAL), (ADMINISTRATIVE, _ADMINISTRATIVE),
)  # fmt: skip


def group_of(definitions: Definitions, resource_type: str) -> str:
    for group, members in _BY_GROUP:
        if resource_type in members and resource_type not in _DIRECTORY:
            return group
    if is_shared(definitions, resource_type):
        return REFERENCE
    return CLINICAL


def in_compartment_definition(definitions: Definitions, resource_type: str) -> bool:
    return resource_type == "Patient" or bool(definitions.compartment.get(resource_type))


def is_shared(definitions: Definitions, resource_type: str) -> bool:
    """Reference data that is about no patient: readable by patient-confined callers."""
    if resource_type in _DIRECTORY:
        return True
    return (
        not in_compartment_definition(definitions, resource_type)
        and resource_type not in _PERSONAL_WITHOUT_COMPARTMENT
    )
