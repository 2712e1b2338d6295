"""Screening of what a search, ``$everything`` or a history page is about to return.

Each resource is kept only when the caller may read its type (an ``_include`` may bring other
types) and, for a confined or restricted decision, when it is in the patient's compartment and
matches the granular scope. What is kept also names the patients the audit record lists.
Resources with a sensitive security label are also withheld unless a Consent of their patient
permits the caller (segmentation: ``caremesh.fhir.access.disclosure``); the consents they need are
looked up in one search before the page is screened.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from caremesh.fhir.access.policy import Decision, Interaction
from caremesh.fhir.rest.guard import Access
from caremesh.fhir.search.engine import Match, SearchResult
from caremesh.fhir.storage.resources import StoredVersion


@dataclass
class Screen:
    access: Access
    # The compartment the search ran in: its matches are members already, which matters when
    # ``_elements`` or ``_summary`` left out the element that links them to the patient.
    compartment: tuple[str, str] | None = None
    patients: dict[str, None] = field(default_factory=dict)  # ordered set
    dropped: int = 0
    _decisions: dict[str, Decision] = field(default_factory=dict)

    def _decision(self, res_type: str) -> Decision:
        if res_type not in self._decisions:
            self._decisions[res_type] = self.access.decision_for(Interaction.READ, res_type)
        return self._decisions[res_type]

    def keeps(self, res_type: str, body: bytes | None, matched: bool = False) -> bool:
        decision = self._decision(res_type)
        allowed = decision.allowed
        if (
            allowed
            and matched
            and decision.patient is not None
            and self.compartment == ("Patient", decision.patient)
        ):
            self.patients[decision.patient] = None
            decision = replace(decision, patient=None)
        if allowed:
            allowed, patients = self.access.permits_body(body, decision, disclose=True)
            if allowed:
                self.patients.update(dict.fromkeys(patients))
        self.dropped += not allowed
        return allowed

    def matches(self, found: list[Match], matched: bool = False) -> list[Match]:
        return [m for m in found if self.keeps(m.res_type, m.body, matched)]

    async def result(self, result: SearchResult) -> SearchResult:
        await self.access.prepare_disclosures([m.body for m in (*result.matches, *result.included)])
        matches = self.matches(result.matches, matched=True)
        included = self.matches(result.included)
        if len(matches) == len(result.matches) and len(included) == len(result.included):
            return result
        # A total counted before screening would tell how many were withheld.
        total = result.total if len(matches) == len(result.matches) else None
        return replace(result, matches=matches, included=included, total=total)

    async def versions(self, entries: list[StoredVersion]) -> list[StoredVersion]:
        """History entries: a deletion carries no body, so only unconfined callers see it."""
        await self.access.prepare_disclosures([e.body for e in entries])
        return [e for e in entries if self.keeps(e.resource_type, e.body)]
