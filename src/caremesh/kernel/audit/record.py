"""One access to PHI, and the FHIR AuditEvent it is recorded as (IHE Basic Audit Log Patterns).

BALP's RESTful pattern: ``type`` rest + ``subtype`` the interaction, ``action`` C/R/U/D/E, the
user and the client app as agents (the user with the network address), the server as source
observer, the patient(s) and the resource or the query (base64) as entities. Emergency access
adds purposeOfEvent BTG and the stated reason.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from caremesh.kernel.clock import utcnow
from caremesh.kernel.ids import new_id

SUCCESS, MINOR_FAILURE, SERIOUS_FAILURE = "0", "4", "8"
ACTIONS = {
    "create": "C", "read": "R", "vread": "R", "history": "R", "update": "U", "patch": "U", "delete": "D",
    "search": "E", "everything": "E", "export": "E", "batch": "E", "transaction": "E",
}  # fmt: skip
_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
_INTERACTION = "http://hl7.org/fhir/restful-interaction"
_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
_ROLE_SYSTEM = "https://caremesh.dev/fhir/CodeSystem/role"
BREAK_GLASS_REASON = "https://caremesh.dev/fhir/StructureDefinition/break-glass-reason"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    interaction: str  # a FHIR restful interaction (read, search, ...) or a module's own verb
    outcome: str  # SUCCESS, MINOR_FAILURE (refused), SERIOUS_FAILURE (server fault)
    subject: str  # the user (or client) the token was issued to
    client_id: str
    source: str  # the observer: "caremesh/<module>"
    kind: str = "user"
    roles: tuple[str, ...] = ()
    address: str | None = None
    patients: tuple[str, ...] = ()
    resource: str | None = None  # "Observation/1" or "Observation/1/_history/2"
    query: str | None = None  # the search's query string, recorded base64 as BALP asks
    purpose: tuple[str, ...] = ()  # v3 ActReason codes (TREAT, ETREAT, HPAYMT, ...)
    break_glass_reason: str | None = None
    token_id: str | None = None
    request_id: str | None = None
    description: str | None = None
    action: str = ""
    recorded: datetime = field(default_factory=utcnow)
    event_id: str = field(default_factory=new_id)

    @property
    def break_glass(self) -> bool:
        return self.break_glass_reason is not None

    def to_fhir(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "resourceType": "AuditEvent",
            "id": self.event_id,
            "type": {"system": _EVENT_TYPE, "code": "rest", "display": "Restful Operation"},
            "subtype": [{"system": _INTERACTION, "code": self.interaction}],
            "action": self.action or ACTIONS.get(self.interaction, "E"),
            "recorded": self.recorded.isoformat(),
            "outcome": self.outcome,
            "agent": self._agents(),
            "source": {"observer": {"display": self.source}, "type": [{"system": _SOURCE_TYPE, "code": "4"}]},
            "entity": self._entities(),
        }
        if self.description:
            event["outcomeDesc"] = self.description
        purposes = (*self.purpose, "BTG") if self.break_glass else self.purpose
        if purposes:
            event["purposeOfEvent"] = [{"coding": [{"system": _ACT_REASON, "code": p}]} for p in purposes]
        if self.break_glass_reason is not None:
            event["extension"] = [{"url": BREAK_GLASS_REASON, "valueString": self.break_glass_reason}]
        return event

    def _agents(self) -> list[dict[str, Any]]:
        user: dict[str, Any] = {
            "type": {"coding": [{"system": _PARTICIPATION, "code": "IRCP"}]},
            "who": {"identifier": {"value": self.subject}},
            "requestor": True,
            "role": [{"coding": [{"system": _ROLE_SYSTEM, "code": role}]} for role in self.roles],
            "extension": [{"url": "https://caremesh.dev/fhir/StructureDefinition/agent-kind",
                           "valueCode": self.kind}],
        }  # fmt: skip
        if self.token_id:
            user["altId"] = self.token_id
        if self.address:
            user["network"] = {"address": self.address, "type": "2"}
        app = {
            "type": {
                "coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110150"}]
            },
            "who": {"identifier": {"value": self.client_id}},
            "requestor": False,
        }
        return [user, app]

    def _entities(self) -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = [
            {"what": {"reference": f"Patient/{patient}"}, "type": {"system": _ENTITY_TYPE, "code": "1"},
             "role": {"system": _OBJECT_ROLE, "code": "1"}}
            for patient in self.patients
        ]  # fmt: skip
        if self.resource:
            entities.append({"what": {"reference": self.resource},
                             "type": {"system": _ENTITY_TYPE, "code": "2"},
                             "role": {"system": _OBJECT_ROLE, "code": "4"}})  # fmt: skip
        if self.query is not None:
            entities.append({"type": {"system": _ENTITY_TYPE, "code": "2"},
                             "role": {"system": _OBJECT_ROLE, "code": "24"},
                             "query": base64.b64encode(self.query.encode()).decode()})  # fmt: skip
        if self.request_id:
            entities.append({"what": {"identifier": {"value": self.request_id}}, "name": "X-Request-ID"})
        return entities
