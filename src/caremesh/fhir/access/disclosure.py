"""One request's segmentation: the patients' Consents, looked up once, and what was disclosed.

Checking is synchronous (screening a page of results is a loop over bodies), so the consents are
loaded first: :meth:`Disclosures.prepare` reads every labelled resource about to be returned and
fetches the Consents of all their patients in one search; :meth:`Disclosures.allows` then decides
per resource. A patient whose consents were never loaded has none: the resource is withheld.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from caremesh.fhir.access.consent import Recipient, Request, consent_permits
from caremesh.fhir.access.segmentation import (
    Label,
    is_part2,
    may_carry_labels,
    sensitive_labels,
)

# The active Consents naming any of the patients (one search for all of them).
ConsentLoader = Callable[[Sequence[str]], Awaitable[list[dict[str, Any]]]]
PatientsOf = Callable[[dict[str, Any]], tuple[str, ...]]


@dataclass
class Disclosures:
    loader: ConsentLoader | None
    patients_of: PatientsOf
    recipient: Recipient
    purpose: str
    now: datetime
    own_patient: str | None = None  # the patient the caller is: always sees their own record
    exempt: bool = False  # a caremesh service: segmentation applies where it discloses
    consents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    labels: set[Label] = field(default_factory=set)  # disclosed under a consent
    used: dict[str, None] = field(default_factory=dict)  # the consents that permitted (ordered)
    withheld: int = 0

    @property
    def part2(self) -> bool:
        """Whether 42 CFR Part 2 data was disclosed: the response must carry the notice."""
        return is_part2(frozenset(self.labels))

    async def prepare(self, bodies: Iterable[bytes | None]) -> None:
        """Load the consents every labelled resource among ``bodies`` needs, in one search."""
        if self.exempt:
            return
        wanted: dict[str, None] = {}
        for body in bodies:
            if not may_carry_labels(body):
                continue
            resource = orjson.loads(body) if body else None
            if isinstance(resource, dict) and sensitive_labels(resource):
                wanted.update(dict.fromkeys(self.patients_of(resource)))
        await self.load(wanted)

    async def load(self, patients: Iterable[str]) -> None:
        missing = [p for p in patients if p not in self.consents and p != self.own_patient]
        if not missing:
            return
        found = await self.loader(missing) if self.loader is not None else []
        for patient in missing:
            self.consents[patient] = []
        for consent in found:
            for patient in missing:
                self.consents[patient].append(consent)  # consent_permits checks whose it is

    def allows(self, resource: dict[str, Any], patients: tuple[str, ...]) -> bool:
        labels = sensitive_labels(resource)
        if not labels or self.exempt:
            return True
        if self.own_patient is not None and self.own_patient in patients:
            return True
        permitting = self._permitting(labels, patients)
        if permitting is None:
            self.withheld += 1
            return False
        self.labels.update(labels)
        self.used.update(dict.fromkeys(permitting))
        return True

    def _permitting(self, labels: frozenset[Label], patients: tuple[str, ...]) -> list[str] | None:
        """The ids of the consents permitting every label for every patient, or None."""
        if not patients:
            return None  # nobody whose consent could release it
        used: list[str] = []
        for patient in patients:
            for label in labels:
                request = Request(self.recipient, self.purpose, label, self.now)
                consent = next(
                    (c for c in self.consents.get(patient, ()) if consent_permits(c, patient, request)),
                    None,
                )
                if consent is None:
                    return None
                used.append(f"Consent/{consent.get('id')}")
        return used

    def audit_note(self) -> str | None:
        """What the audit record says about a disclosure of labelled data."""
        if not self.labels:
            return None
        labels = ",".join(sorted(code for _, code in self.labels))
        return f"sensitive disclosure ({labels}) purpose {self.purpose} under {','.join(self.used)}"
