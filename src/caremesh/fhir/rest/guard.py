"""Authorization and audit of every FHIR interaction, in the REST layer.

``Guard.allow`` decides before any data is read (so a refusal cannot depend on whether a resource
exists) and hands back an :class:`Access`; the handler then runs, checks each resource it is about
to return or write (``Access.admit``: patient compartment, granular scope restriction) and calls
``Access.audit`` before answering: the response is sent only once its audit record is committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import structlog
from fastapi import Request, Response

from caremesh.fhir.access.consent import Recipient
from caremesh.fhir.access.disclosure import ConsentLoader, Disclosures
from caremesh.fhir.access.membership import Membership
from caremesh.fhir.access.policy import Decision, Interaction, decide, may_break_glass, patient_of
from caremesh.fhir.access.segmentation import (
    EMERGENCY_TREATMENT,
    REDISCLOSURE_NOTICE,
    TREATMENT,
    may_carry_labels,
)
from caremesh.fhir.definitions import Definitions
from caremesh.kernel.audit.access import access_record
from caremesh.kernel.audit.grants import AccessGrant, active_grant, open_grant
from caremesh.kernel.audit.record import MINOR_FAILURE, SUCCESS, AuditRecord
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.clock import utcnow
from caremesh.kernel.errors import Forbidden
from caremesh.kernel.security.principal import Principal, require_principal

BREAK_GLASS_HEADER = "x-caremesh-break-glass"
REDISCLOSURE_HEADER = "X-Caremesh-Redisclosure"
# What returns a stored resource to the caller: segmentation applies (a write answers with what the
# caller sent, except a patch or a conditional create that found a match: see Rest.written).
DISCLOSING = frozenset({Interaction.READ, Interaction.VREAD, Interaction.HISTORY, Interaction.PATCH})
_DECISIONS_KEPT = 10_000
DENIED = (
    "access denied: the token's scopes or the user's role do not permit this, or there is no such resource"
)


def denied() -> Forbidden:
    """One refusal for every cause, so it never tells whether the resource exists."""
    return Forbidden(DENIED)


@dataclass
class Guard:
    definitions: Definitions
    membership: Membership
    audit_writer: AuditWriter | None = None
    source: str = "caremesh/fhir"
    consents: ConsentLoader | None = None  # without it no Consent releases labelled data
    _decisions: dict[tuple[Principal, Interaction, str, bool], Decision] = field(default_factory=dict)

    def decide(
        self, principal: Principal, interaction: Interaction, resource_type: str, break_glass: bool = False
    ) -> Decision:
        """:func:`decide`, remembered per token (a client reuses its token for many requests)."""
        key = (principal, interaction, resource_type, break_glass)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= _DECISIONS_KEPT:
                self._decisions.clear()
            decision = self._decisions[key] = decide(
                self.definitions, principal, interaction, resource_type, break_glass=break_glass
            )
        return decision

    async def allow(
        self, request: Request, interaction: Interaction, resource_type: str, target: str | None = None
    ) -> Access:
        principal = await require_principal(request)
        decision = self.decide(principal, interaction, resource_type)
        grant = None
        if not decision.allowed and decision.reason == "role" and may_break_glass(principal):
            grant = await self._grant(request, principal)
            if grant is not None:
                decision = self.decide(principal, interaction, resource_type, break_glass=True)
        access = Access(self, request, principal, interaction, decision, grant)
        if not decision.allowed:
            await access.refuse(resource=target or resource_type)
        return access

    async def authenticated(self, request: Request, interaction: Interaction) -> Access:
        """For follow-up requests bound to their starter (an export's status and files)."""
        return Access(self, request, await require_principal(request), interaction, Decision(True))

    async def _grant(self, request: Request, principal: Principal) -> AccessGrant | None:
        if self.audit_writer is None:
            return None  # emergency access needs somewhere to record it
        reason = request.headers.get(BREAK_GLASS_HEADER, "").strip()
        db = self.audit_writer.db
        return await (
            open_grant(db, principal.subject, reason) if reason else active_grant(db, principal.subject)
        )


@dataclass
class Access:
    guard: Guard
    request: Request
    principal: Principal
    interaction: Interaction
    decision: Decision
    grant: AccessGrant | None = None
    _disclosures: Disclosures | None = None

    @property
    def disclosures(self) -> Disclosures:
        """This request's segmentation state (consents are looked up at most once per patient)."""
        if self._disclosures is None:
            principal = self.principal
            self._disclosures = Disclosures(
                self.guard.consents,
                self.guard.membership.patients,
                Recipient(frozenset(filter(None, [principal.fhir_user])), frozenset(principal.roles)),
                TREATMENT,
                utcnow(),
                own_patient=patient_of(principal) if principal.kind != "service" else None,
                exempt=principal.kind == "service",
            )
        return self._disclosures

    async def prepare_disclosures(self, bodies: Sequence[bytes | None]) -> None:
        """Before screening: the purpose of use, and the consents the labelled bodies need."""
        if not any(may_carry_labels(body) for body in bodies):
            return  # the usual case: nothing labelled, no segmentation state built
        disclosures = self.disclosures
        if disclosures.exempt:
            return
        stated = self.request.headers.get(BREAK_GLASS_HEADER, "").strip()
        if self.grant is None and stated and may_break_glass(self.principal):
            self.grant = await self.guard._grant(self.request, self.principal)
        if self.grant is not None:
            disclosures.purpose = EMERGENCY_TREATMENT
        await disclosures.prepare(bodies)

    def mark(self, response: Response) -> Response:
        """A response disclosing 42 CFR Part 2 data carries the redisclosure notice (42 CFR 2.32)."""
        if self._disclosures is not None and self._disclosures.part2:
            response.headers[REDISCLOSURE_HEADER] = REDISCLOSURE_NOTICE
        return response

    @property
    def hides_missing(self) -> bool:
        """A missing resource must look like a refused one to a confined or restricted caller."""
        return self.decision.confined or bool(self.decision.restrictions)

    def permits(
        self, resource: dict[str, Any], decision: Decision | None = None
    ) -> tuple[bool, tuple[str, ...]]:
        """Whether ``resource`` may be returned or written, and the patients it belongs to."""
        decision = decision or self.decision
        membership = self.guard.membership
        patients = membership.patients(resource)
        if decision.patient is not None and decision.patient not in patients:
            return False, patients
        if decision.restrictions and not membership.satisfies(resource, decision.restrictions):
            return False, patients
        return True, patients

    def permits_body(
        self, body: bytes | None, decision: Decision | None = None, *, disclose: bool = False
    ) -> tuple[bool, tuple[str, ...]]:
        """As :meth:`permits`; with ``disclose``, also segmentation (consents prepared first)."""
        loaded = orjson.loads(body) if body else None
        if isinstance(loaded, dict):
            allowed, patients = self.permits(loaded, decision)
            if allowed and disclose and may_carry_labels(body):
                allowed = self.disclosures.allows(loaded, patients)
            return allowed, patients
        checked = (decision or self.decision).confined or bool((decision or self.decision).restrictions)
        return not checked, ()

    def decision_for(self, interaction: Interaction, resource_type: str) -> Decision:
        """The caller's decision for another type (an included resource, an entry of a Bundle)."""
        return self.guard.decide(self.principal, interaction, resource_type, self.decision.break_glass)

    async def admit(
        self, body: bytes | None, *, resource: str | None = None, disclose: bool | None = None
    ) -> tuple[str, ...]:
        """The patients of ``body``; refuses (audited) when the caller may not have it."""
        disclose = self.interaction in DISCLOSING if disclose is None else disclose
        labelled = disclose and may_carry_labels(body)
        if self.guard.audit_writer is None and not self.hides_missing and not labelled:
            return ()  # nothing to check and nobody to tell: skip parsing the body
        if labelled:
            await self.prepare_disclosures([body])
        allowed, patients = self.permits_body(body, disclose=labelled)
        if not allowed:
            await self.refuse(resource=resource, patients=patients)
        return patients

    async def refuse(self, *, resource: str | None = None, patients: Iterable[str] = ()) -> None:
        structlog.get_logger(__name__).info(
            "fhir access refused", operation=str(self.interaction), outcome=self.decision.reason or "policy"
        )
        if self.guard.audit_writer is not None:
            record = self.record(
                MINOR_FAILURE, patients=patients, resource=resource, description="access denied"
            )
            await self.guard.audit_writer.record_best_effort(record)
        raise denied()

    async def audit(
        self,
        *,
        patients: Iterable[str] = (),
        resource: str | None = None,
        query: str | None = None,
        interaction: str | None = None,
    ) -> None:
        """Record the access; returns once committed (raises AuditUnavailable when it cannot be)."""
        if self.guard.audit_writer is not None:
            record = self.record(SUCCESS, patients=patients, resource=resource, query=query)
            note = self._disclosures.audit_note() if self._disclosures is not None else None
            if note is not None:  # listed in the accounting of disclosures with its purpose
                record = replace(record, description=note, purpose=(self.disclosures.purpose,))
            if interaction is not None:
                record = replace(record, interaction=interaction)
            await self.guard.audit_writer.record(record)

    def record(
        self,
        outcome: str,
        *,
        patients: Iterable[str] = (),
        resource: str | None = None,
        query: str | None = None,
        description: str | None = None,
    ) -> AuditRecord:
        record = access_record(
            self.request, self.principal, str(self.interaction), source=self.guard.source,
            patients=patients, resource=resource, query=query, outcome=outcome,
        )  # fmt: skip
        emergency = self.decision.break_glass or (
            self._disclosures is not None and self._disclosures.purpose == EMERGENCY_TREATMENT
        )
        glass = self.grant.reason if self.grant is not None and emergency else None
        return replace(record, break_glass_reason=glass, description=description)
