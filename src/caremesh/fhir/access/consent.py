"""Whether a patient's FHIR Consent permits disclosing a labelled resource to a recipient.

A Consent permits when it is ``active``, names the patient, and its provision tree, evaluated for
the request, ends in ``permit``: a provision applies when each criterion it states holds (``period``
covers now, an ``actor`` is the recipient, a ``purpose`` is the request's purpose of use, a
``securityLabel`` covers the resource's label); nested provisions are exceptions to their parent
(a matching nested ``deny`` withholds, a matching nested ``permit`` releases). A permit counts only
when the path to it names the actor, the purpose and the label: 42 CFR 2.31 asks a consent to name
the recipient, the purpose and the information, so a general authorization releases nothing.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from caremesh.fhir.access.segmentation import ACT_REASON, IMPLIED, Label

_REQUIRED = frozenset({"actor", "purpose", "securityLabel"})
# An actor whose role is coded in this system names every user holding that caremesh role (its
# R4-required reference then says where, e.g. the organization); participation codes (IRCP...) do not.
ROLE_SYSTEM = "https://caremesh.dev/fhir/CodeSystem/role"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who receives the data: the FHIR resources the caller is (``Practitioner/7``) and its roles."""

    references: frozenset[str]
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class Request:
    recipient: Recipient
    purpose: str  # v3 ActReason code: TREAT, ETREAT, ...
    label: Label
    now: datetime


def consent_permits(consent: dict[str, Any], patient: str, request: Request) -> bool:
    if consent.get("resourceType") != "Consent" or consent.get("status") != "active":
        return False
    if not _names_patient(consent.get("patient"), patient):
        return False
    provision = consent.get("provision")
    if not isinstance(provision, dict):
        return False
    return _verdict(provision, request, frozenset()) == "permit"


def _verdict(provision: dict[str, Any], request: Request, named: frozenset[str]) -> str | None:
    """``permit``/``deny`` when ``provision`` applies to the request, else None."""
    if not _applies(provision, request):
        return None
    named = named | {key for key in _REQUIRED if provision.get(key)}
    verdict = provision.get("type")
    if verdict == "permit" and not named >= _REQUIRED:
        verdict = None
    nested = [
        _verdict(child, request, named)
        for child in _list(provision.get("provision"))
        if isinstance(child, dict)
    ]
    if "deny" in nested:
        return "deny"
    if "permit" in nested:
        return "permit"
    return verdict if verdict in ("permit", "deny") else None


def _applies(provision: dict[str, Any], request: Request) -> bool:
    period = provision.get("period")
    if period is not None and not _covers(period, request.now):
        return False
    actors = _list(provision.get("actor"))
    if actors and not any(_is_recipient(actor, request.recipient) for actor in actors):
        return False
    purposes = _list(provision.get("purpose"))
    if purposes and not any(_is_purpose(coding, request.purpose) for coding in purposes):
        return False
    labels = _list(provision.get("securityLabel"))
    return not labels or any(_covers_label(coding, request.label) for coding in labels)


def _is_recipient(actor: Any, recipient: Recipient) -> bool:
    if not isinstance(actor, dict):
        return False
    reference = actor.get("reference")
    if isinstance(reference, dict) and _relative(reference.get("reference")) in recipient.references:
        return True
    role = actor.get("role")
    codings = role.get("coding") if isinstance(role, dict) else None
    return any(
        isinstance(c, dict) and c.get("system") == ROLE_SYSTEM and c.get("code") in recipient.roles
        for c in _list(codings)
    )


def _is_purpose(coding: Any, purpose: str) -> bool:
    return (
        isinstance(coding, dict)
        and coding.get("code") == purpose
        and coding.get("system") in (None, ACT_REASON)
    )


def _covers_label(coding: Any, label: Label) -> bool:
    if not isinstance(coding, dict):
        return False
    granted = (str(coding.get("system")), str(coding.get("code")))
    return granted == label or label in IMPLIED.get(granted, frozenset())


def _names_patient(reference: Any, patient: str) -> bool:
    return isinstance(reference, dict) and _relative(reference.get("reference")) == f"Patient/{patient}"


def _relative(reference: Any) -> str | None:
    """``Type/id`` of a relative or absolute literal reference (a version suffix dropped)."""
    if not isinstance(reference, str):
        return None
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _covers(period: Any, now: datetime) -> bool:
    if not isinstance(period, dict):
        return False
    try:
        start = _instant(period.get("start"), earliest=True)
        end = _instant(period.get("end"), earliest=False)
    except ValueError:
        return False  # a period that cannot be read permits nothing
    return (start is None or start <= now) and (end is None or now < end)


def _instant(value: Any, *, earliest: bool) -> datetime | None:
    """A FHIR date or dateTime as the first (``earliest``) or the first *after* the last instant
    it spans: ``2025`` ends at 2026-01-01, ``2025-02-10`` at 2025-02-11."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("not a dateTime")
    parts = value.split("-")
    if len(value) == 4:
        year = int(value)
        return datetime(year if earliest else year + 1, 1, 1, tzinfo=UTC)
    if len(value) == 7:
        year, month = int(parts[0]), int(parts[1])
        first = datetime(year, month, 1, tzinfo=UTC)
        return first if earliest else first + timedelta(days=monthrange(year, month)[1])
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if len(value) == 10 and not earliest:
        moment += timedelta(days=1)
    return moment
