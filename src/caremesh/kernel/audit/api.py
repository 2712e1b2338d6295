"""The privacy officer's view of the audit trail: search, and an accounting of disclosures.

``GET /v1/audit/events?patient=&user=&since=&until=&outcome=&_count=`` returns a searchset Bundle
of AuditEvents, newest first, across the audit chains of the process's module databases.
``GET /v1/audit/disclosures?patient=&since=&until=`` lists who accessed a patient's records, when,
how and why (HIPAA 164.528 accounting). Only privacy officers and administrators may call them,
and every call is itself audited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request

from caremesh.kernel.audit.access import access_record
from caremesh.kernel.audit.record import SUCCESS
from caremesh.kernel.audit.store import AuditQuery, search
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import Forbidden, InvalidRequest
from caremesh.kernel.security.principal import Principal, require_principal

AUDITOR_ROLES = frozenset({"privacy-officer", "admin", "administrator"})
MAX_COUNT = 500
_SOURCE = "caremesh/audit"


def _auditor(principal: Principal = Depends(require_principal)) -> Principal:
    if not AUDITOR_ROLES & set(principal.roles):
        raise Forbidden("the audit trail is open to privacy officers and administrators only")
    return principal


def _instant(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{name}: expected an instant like 2024-01-31T10:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _checked_count(value: int) -> int:
    if not 1 <= value <= MAX_COUNT:
        raise InvalidRequest(f"_count: expected 1 to {MAX_COUNT}")
    return value


def _disclosure(event: dict[str, Any]) -> dict[str, Any]:
    user, app = event["agent"][0], event["agent"][-1]
    resources = [
        e["what"]["reference"] for e in event.get("entity", []) if e.get("role", {}).get("code") == "4"
    ]
    return {
        "when": event["recorded"],
        "who": user["who"]["identifier"]["value"],
        "roles": [r["coding"][0]["code"] for r in user.get("role", [])],
        "application": app["who"]["identifier"]["value"],
        "from": user.get("network", {}).get("address"),
        "interaction": event["subtype"][0]["code"],
        "action": event["action"],
        "resources": resources,
        "purpose": [p["coding"][0]["code"] for p in event.get("purposeOfEvent", [])],
        "breakGlass": any(p["coding"][0]["code"] == "BTG" for p in event.get("purposeOfEvent", [])),
        "source": event["source"]["observer"]["display"],
        "note": event.get("outcomeDesc"),  # e.g. a sensitive disclosure and the Consent allowing it
    }


def build_audit_router(databases: Callable[[], Mapping[str, Database]]) -> APIRouter:
    """``databases``: the module databases of this process, each holding one audit chain."""
    router = APIRouter(prefix="/v1/audit", tags=["audit"])

    async def collect(query: AuditQuery) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for db in databases().values():
            async with db.read() as conn:
                found += [event for _, event in await search(conn, query)]
        found.sort(key=lambda event: event["recorded"], reverse=True)
        return found[: query.limit]

    async def audit_itself(
        request: Request, principal: Principal, interaction: str, patients: tuple[str, ...]
    ) -> None:
        chains = databases()
        if not chains:
            return
        db = chains[sorted(chains)[0]]
        writer = AuditWriter.of(db)
        await writer.record(access_record(request, principal, interaction, source=_SOURCE, patients=patients,
                                          query=request.url.query))  # fmt: skip

    @router.get("/events", summary="search the audit trail")
    async def events(
        request: Request,
        patient: str | None = None,
        user: str | None = None,
        since: str | None = None,
        until: str | None = None,
        outcome: str | None = None,
        _count: int = 100,
        principal: Principal = Depends(_auditor),
    ) -> dict[str, Any]:
        query = AuditQuery(
            patient, user, _instant("since", since), _instant("until", until), outcome, _checked_count(_count)
        )
        found = await collect(query)
        await audit_itself(request, principal, "audit-search", (patient,) if patient else ())
        return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                "entry": [{"resource": event} for event in found]}  # fmt: skip

    @router.get("/disclosures", summary="accounting of disclosures for one patient")
    async def disclosures(
        request: Request,
        patient: str,
        since: str | None = None,
        until: str | None = None,
        principal: Principal = Depends(_auditor),
    ) -> dict[str, Any]:
        query = AuditQuery(patient, since=_instant("since", since), until=_instant("until", until),
                           outcome=SUCCESS, limit=MAX_COUNT)  # fmt: skip
        found = await collect(query)
        await audit_itself(request, principal, "audit-disclosures", (patient,))
        # The audit trail's own readers are not disclosures of the patient's record.
        disclosed = [event for event in found if event["source"]["observer"]["display"] != _SOURCE]
        return {"patient": patient, "disclosures": [_disclosure(event) for event in disclosed]}

    return router
