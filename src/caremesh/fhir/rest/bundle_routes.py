"""``POST [base]``: a batch or transaction Bundle, answered with its response Bundle."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from caremesh.fhir.access.policy import Interaction
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.bundle_access import authorize, plan
from caremesh.fhir.rest.bundle_screening import screen_bundle_answer
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.guard import Access
from caremesh.fhir.rest.http import read_body, require_content_type, response_type
from caremesh.fhir.transaction.process import process_bundle

BUNDLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {
                "schema": {"type": "object", "required": ["resourceType", "type"]},
            }
        },
    }
}


def _returned_patients(access: Access, answer: bytes) -> list[str]:
    """Patients of the resources the response Bundle carries (a batch's reads, returned bodies)."""
    entries = orjson.loads(answer).get("entry") or []
    resources = (
        e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    )
    return [patient for resource in resources for patient in access.guard.membership.patients(resource)]


def add_bundle_routes(router: APIRouter, rest: Rest) -> None:
    engine = rest.engine

    async def bundle(request: Request) -> Response:
        media = response_type(request)
        access = await rest.guard.authenticated(request, Interaction.CREATE)
        require_content_type(request)
        body = await read_body(request, engine.max_body_bytes)
        kind, entries = plan(body, engine.resource_types)
        patients = await authorize(rest.guard, engine, request, entries)
        base = rest.base(request)
        prefer = parse_prefer(request.headers.get("prefer"))
        answer = await process_bundle(engine, body, base=base, prefer=prefer)
        answer = await screen_bundle_answer(access, body, answer)
        patients += _returned_patients(access, answer)
        await access.audit(
            patients=patients, interaction=kind if kind in ("batch", "transaction") else "batch"
        )
        return access.mark(Response(answer, media_type=media + "; charset=utf-8"))

    router.add_api_route("", bundle, methods=["POST"], name="fhir.transaction",
                         summary="batch or transaction", openapi_extra=BUNDLE_BODY)  # fmt: skip
