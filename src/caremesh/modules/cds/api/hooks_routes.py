"""CDS Hooks 2.0 endpoints: discovery, the two medication-safety services, and feedback."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request

from caremesh.kernel.errors import InvalidRequest, NotFound
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.cds.api.render import hooks_response
from caremesh.modules.cds.application import checking
from caremesh.modules.cds.application.deps import CdsDeps
from caremesh.modules.cds.application.hooks_input import check_request
from caremesh.modules.cds.application.overrides import Feedback, record_feedback

# The minimum necessary: no Patient resource, the checks do not use demographics yet.
PREFETCH = {
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
}
SERVICES = {
    "medication-safety-select": {
        "hook": "order-select",
        "title": "Medication safety (while selecting orders)",
        "description": (
            "Checks the selected medication orders for drug-drug interactions, drug-allergy and"
            " cross-sensitivity, duplicate therapy and maximum daily dose."
        ),
    },
    "medication-safety-sign": {
        "hook": "order-sign",
        "title": "Medication safety (before signing)",
        "description": (
            "Re-checks every draft medication order before it is signed; critical alerts are always"
            " shown again at signing."
        ),
    },
}
OUTCOMES = ("accepted", "overridden")


def add_hooks_routes(router: APIRouter, deps: CdsDeps) -> None:
    @router.get("/cds-services")
    async def discovery() -> dict[str, Any]:
        return {
            "services": [{**service, "id": key, "prefetch": PREFETCH} for key, service in SERVICES.items()]
        }

    @router.post("/cds-services/{service_id}")
    async def call_service(service_id: str, request: Request) -> dict[str, Any]:
        service = _service(service_id)
        check = check_request(service["hook"], await _json(request))
        return hooks_response(await checking.check_orders(deps, check))

    @router.post("/cds-services/{service_id}/feedback")
    async def feedback(
        service_id: str, request: Request, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        _service(service_id)
        items = _feedback_items(await _json(request), principal.subject)
        outcome = await record_feedback(deps, items)
        return {"recorded": outcome.recorded, "unknownCards": outcome.unknown_cards}


def _service(service_id: str) -> dict[str, str]:
    service = SERVICES.get(service_id)
    if service is None:
        raise NotFound(f"no CDS service {service_id!r}", details={"services": sorted(SERVICES)})
    return service


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("the request body is not valid JSON") from None


def _feedback_items(body: Any, user_id: str) -> list[Feedback]:
    entries = body.get("feedback") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InvalidRequest("feedback must be a non-empty array")
    return [_feedback(entry, index, user_id) for index, entry in enumerate(entries)]


def _feedback(entry: Any, index: int, user_id: str) -> Feedback:
    where = f"feedback[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("card"), str) or not entry["card"]:
        raise InvalidRequest(f"{where}.card (the card uuid) is required")
    if entry.get("outcome") not in OUTCOMES:
        raise InvalidRequest(f"{where}.outcome must be one of {', '.join(OUTCOMES)}")
    if not isinstance(entry.get("outcomeTimestamp"), str):
        raise InvalidRequest(f"{where}.outcomeTimestamp is required")
    accepted = entry.get("acceptedSuggestions") or []
    if entry["outcome"] == "accepted" and not accepted:
        raise InvalidRequest(f"{where}.acceptedSuggestions is required for an accepted outcome")
    reason = entry.get("overrideReason") or {}
    coding = reason.get("reason") if isinstance(reason, dict) else None
    return Feedback(
        card_uuid=entry["card"],
        outcome=entry["outcome"],
        user_id=user_id,
        reason_code=coding.get("code") if isinstance(coding, dict) else None,
        comment=reason.get("userComment") if isinstance(reason, dict) else None,
        accepted_suggestions=tuple(str(s.get("id")) for s in accepted if isinstance(s, dict) and s.get("id")),
    )
