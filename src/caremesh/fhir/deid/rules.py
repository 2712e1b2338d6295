"""What Safe Harbor's 18 identifier kinds mean for FHIR R4 elements (45 CFR 164.514(b)(2)).

Elements are matched by name wherever they occur, so the rules hold for every resource type,
contained resources and backbone elements alike; an element not named here passes through,
except that *every* string is checked for a date (generalised to its year) and every URL string
outside terminology/canonical elements is dropped.
"""

from __future__ import annotations

# (A) names, (D/E) phone/fax/email, (H-K) MRN/plan/account/licence numbers live in identifiers and
# are pseudonymised; these elements are removed outright wherever they appear.
REMOVED_EVERYWHERE = frozenset(
    {
        "telecom",  # (D) phone, (E) fax, (F) email
        "photo",  # (Q) full-face photographs
        "contact",  # next of kin / organisation contacts: names, phones, addresses
        "link",  # Patient.link to other records of the person
        "note",  # free text (Annotation)
        "comment",
        "comments",
        "patientInstruction",
        "signature",  # signatures can be biometric (P) and carry who/when
        "serialNumber",  # (M) device serial numbers
        "lotNumber",
        "udiCarrier",  # (M) device identifiers
        "distinctIdentifier",
        "deviceName",
        "network",  # (O) IP addresses of audit/provenance agents
        "subscriberId",  # (I) health plan beneficiary numbers
        "issued",  # instants: a year is not a valid instant, and they are optional
        "timestamp",
        "lastUpdated",
        "ifNoneExist",  # transaction queries repeat identifiers
        "ifMatch",
        "ifModifiedSince",
        "ifNoneMatch",
    }
)

# Free-text strings (names, places and dates hide in prose); choice elements ending in
# ``String``/``Markdown`` (valueString, occurrenceString, ...) are free text too. ``text`` is
# kept only where it repeats the display of one of its CodeableConcept's codings.
FREE_TEXT = frozenset({"description", "title", "summary", "text"})
FREE_TEXT_SUFFIXES = ("String", "Markdown")

# Resources describing a party: their `name` names a person, a household or a place.
PARTY_TYPES = frozenset(
    {
        "Patient",
        "RelatedPerson",
        "Person",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
        "HealthcareService",
        "Group",
        "Endpoint",
        "InsurancePlan",
    }
)
PARTY_DROPS = frozenset({"name", "alias"})
# Elements removed from one resource type only (elsewhere the same name is harmless).
TYPE_DROPS = {
    "Binary": frozenset({"data", "securityContext"}),
    "Device": frozenset({"url"}),  # (N) a device's network address
    "Endpoint": frozenset({"address"}),  # (N) URLs
}

# Extensions that carry no identifier (US Core demographics); every other extension is dropped,
# since an extension can hold anything (Synthea's patient-mothersMaidenName holds a name).
SAFE_EXTENSIONS = frozenset(
    {
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
        "ombCategory",
        "detailed",
        "text",
    }
)
AGE_GROUP_EXTENSION = "urn:caremesh:deid:age-group"

# Strings here are terminology or canonical URLs, not data about the patient.
CANONICAL_KEYS = frozenset(
    {
        "system",
        "url",
        "profile",
        "valueSet",
        "definition",
        "instantiatesCanonical",
        "instantiatesUri",
        "reference",
        "fullUrl",
        "code",
        "id",
        "version",
        "language",
        "contentType",
    }
)

# Instants that an R4 resource requires: kept at year precision as the year's first instant.
REQUIRED_INSTANTS = {("AuditEvent", "recorded"), ("Provenance", "recorded")}

PSEUDONYM_SYSTEM = "urn:caremesh:deid:pseudonym"
SECURITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
PSEUDED = {"system": SECURITY_SYSTEM, "code": "PSEUDED", "display": "pseudonymized"}
REDACTED = {"system": SECURITY_SYSTEM, "code": "REDACTED", "display": "redacted"}
MASKED = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
            "code": "masked",
            "display": "Masked",
        }
    ]
}
MASKED_EXTENSION = {
    "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
    "valueCode": "masked",
}
