"""``POST [base]``: a batch or transaction Bundle, answered with its response Bundle."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.context import Rest
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


def add_bundle_routes(router: APIRouter, rest: Rest) -> None:
    engine = rest.engine

    async def bundle(request: Request) -> Response:
        media = response_type(request)
        require_content_type(request)
        body = await read_body(request, engine.max_body_bytes)
        base = rest.base(request)
        prefer = parse_prefer(request.headers.get("prefer"))
        answer = await process_bundle(engine, body, base=base, prefer=prefer)
        return Response(answer, media_type=media + "; charset=utf-8")

    router.add_api_route("", bundle, methods=["POST"], name="fhir.transaction",
                         summary="batch or transaction", openapi_extra=BUNDLE_BODY)  # fmt: skip
