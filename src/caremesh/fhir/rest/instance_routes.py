"""Instance interactions: read, vread, update (also as create), patch, delete."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from caremesh.fhir.access.policy import Interaction
from caremesh.fhir.ids import parse_version, require_id
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.checks import admit_incoming, admit_patch, current_if_any, found
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.http import (
    if_match_version,
    if_none_match_version,
    read_body,
    require_content_type,
    require_patch_type,
    response_type,
)
from caremesh.fhir.rest.responses import deleted_response, not_modified, resource_response

INSTANCE = "/{res_type:fhir_type}/{res_id:fhir_id}"
VERSION = INSTANCE + "/_history/{version_id}"
RESOURCE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/fhir+json": {"schema": {"type": "object", "required": ["resourceType"]}}},
    }
}
PATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json-patch+json": {"schema": {"type": "array", "items": {"type": "object"}}}
        },
    }
}


def add_instance_routes(router: APIRouter, rest: Rest) -> None:
    engine = rest.engine
    guard = rest.guard

    async def read(request: Request, res_type: str, res_id: str) -> Response:
        media = response_type(request)
        reference = f"{res_type}/{res_id}"
        access = await guard.allow(request, Interaction.READ, engine.require_type(res_type), reference)
        stored = await found(access, engine.read(res_type, require_id(res_id)), reference)
        patients = await access.admit(stored.body, resource=reference)
        await access.audit(patients=patients, resource=reference)
        if if_none_match_version(request) == stored.version:
            return not_modified(stored)
        return access.mark(resource_response(stored, media))

    async def vread(request: Request, res_type: str, res_id: str, version_id: str) -> Response:
        media = response_type(request)
        reference = f"{res_type}/{res_id}/_history/{version_id}"
        access = await guard.allow(request, Interaction.VREAD, engine.require_type(res_type), reference)
        reading = engine.vread(res_type, require_id(res_id), parse_version(version_id))
        stored = await found(access, reading, reference)
        patients = await access.admit(stored.body, resource=reference)
        await access.audit(patients=patients, resource=reference)
        return access.mark(resource_response(stored, media))

    async def update(request: Request, res_type: str, res_id: str) -> Response:
        media = response_type(request)
        reference = f"{res_type}/{res_id}"
        access = await guard.allow(request, Interaction.UPDATE, engine.require_type(res_type), reference)
        require_content_type(request)
        body = await read_body(request, engine.max_body_bytes)
        if access.hides_missing:
            await current_if_any(access, engine, res_type, res_id)
            await admit_incoming(access, body, reference)
        written = await engine.update(res_type, res_id, body, if_match=if_match_version(request))
        return await rest.written(request, access, written, media)

    async def patch(request: Request, res_type: str, res_id: str) -> Response:
        media = response_type(request)
        reference = f"{res_type}/{res_id}"
        access = await guard.allow(request, Interaction.PATCH, engine.require_type(res_type), reference)
        require_patch_type(request)
        body = await read_body(request, engine.max_body_bytes)
        if_match = if_match_version(request)
        if access.hides_missing:
            if_match = await admit_patch(access, engine, res_type, res_id, body, if_match)
        else:  # the answer shows the whole resource: a labelled one needs the patient's consent
            await current_if_any(access, engine, res_type, res_id)
        written = await engine.patch(res_type, res_id, body, if_match=if_match)
        return await rest.written(request, access, written, media)

    async def delete(request: Request, res_type: str, res_id: str) -> Response:
        media = response_type(request)
        reference = f"{res_type}/{res_id}"
        access = await guard.allow(request, Interaction.DELETE, engine.require_type(res_type), reference)
        # Read first: a checked caller may only delete their own; the audit names the patient.
        current = await current_if_any(access, engine, res_type, require_id(res_id))
        if current is None and access.hides_missing:
            await access.refuse(resource=reference)
        patients = access.permits_body(current.body)[1] if current is not None else ()
        deleted = await engine.delete(res_type, res_id, if_match=if_match_version(request))
        await access.audit(patients=patients, resource=reference)
        return deleted_response(deleted, prefer=parse_prefer(request.headers.get("prefer")), media=media)

    router.add_api_route(INSTANCE, read, methods=["GET"], name="fhir.read", summary="read")
    router.add_api_route(VERSION, vread, methods=["GET"], name="fhir.vread", summary="vread")
    router.add_api_route(INSTANCE, update, methods=["PUT"], name="fhir.update", summary="update",
                         openapi_extra=RESOURCE_BODY)  # fmt: skip
    router.add_api_route(INSTANCE, patch, methods=["PATCH"], name="fhir.patch", summary="patch",
                         openapi_extra=PATCH_BODY)  # fmt: skip
    router.add_api_route(INSTANCE, delete, methods=["DELETE"], name="fhir.delete", summary="delete")
