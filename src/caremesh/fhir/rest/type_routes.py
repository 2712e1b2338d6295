"""Type interactions: create (also conditional), and the conditional update, patch and delete
that name their target by search criteria."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from caremesh.fhir.access.policy import Interaction
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.checks import admit_incoming
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.guard import Access
from caremesh.fhir.rest.http import (
    if_match_version,
    read_body,
    require_content_type,
    require_patch_type,
    response_type,
)
from caremesh.fhir.rest.instance_routes import PATCH_BODY, RESOURCE_BODY
from caremesh.fhir.rest.responses import deleted_response

TYPE = "/{res_type:fhir_type}"


_FORMAT_PARAMS = frozenset({"_format", "_pretty"})


def _refuse_search_criteria(request: Request) -> None:
    """Criteria on a create's URL are not FHIR (conditional create uses If-None-Exist); ignoring
    them would create the duplicate the client meant to avoid, so they are refused."""
    criteria = sorted(set(request.query_params) - _FORMAT_PARAMS)
    if criteria:
        raise FhirError.single(
            400,
            "invalid",
            f"create takes no search criteria in the URL ({', '.join(criteria)[:200]}); "
            "for a conditional create send them in the If-None-Exist header",
        )


def add_type_routes(router: APIRouter, rest: Rest) -> None:
    engine = rest.engine
    guard = rest.guard

    async def allow(request: Request, interaction: Interaction, res_type: str) -> Access:
        access = await guard.allow(request, interaction, engine.require_type(res_type))
        if access.hides_missing and interaction is not Interaction.CREATE:
            # Criteria pick the target inside the engine's transaction, where no check can run.
            await access.refuse(resource=res_type)
        return access

    async def create(request: Request, res_type: str) -> Response:
        media = response_type(request)
        access = await allow(request, Interaction.CREATE, res_type)
        _refuse_search_criteria(request)
        require_content_type(request)
        body = await read_body(request, engine.max_body_bytes)
        if access.hides_missing:
            if request.headers.get("if-none-exist") is not None:
                # A match found elsewhere would tell a confined caller that it exists.
                await access.refuse(resource=res_type)
            await admit_incoming(access, body, res_type)
        written = await engine.create(res_type, body, if_none_exist=request.headers.get("if-none-exist"))
        return await rest.written(request, access, written, media)

    async def conditional_update(request: Request, res_type: str) -> Response:
        media = response_type(request)
        access = await allow(request, Interaction.UPDATE, res_type)
        require_content_type(request)
        body = await read_body(request, engine.max_body_bytes)
        written = await engine.conditional_update(
            res_type, request.url.query, body, if_match=if_match_version(request)
        )
        return await rest.written(request, access, written, media)

    async def conditional_patch(request: Request, res_type: str) -> Response:
        media = response_type(request)
        access = await allow(request, Interaction.PATCH, res_type)
        require_patch_type(request)
        body = await read_body(request, engine.max_body_bytes)
        written = await engine.conditional_patch(
            res_type, request.url.query, body, if_match=if_match_version(request)
        )
        return await rest.written(request, access, written, media)

    async def conditional_delete(request: Request, res_type: str) -> Response:
        media = response_type(request)
        access = await allow(request, Interaction.DELETE, res_type)
        deleted = await engine.conditional_delete(res_type, request.url.query)
        target = f"{res_type}/{deleted.resource_id}" if deleted is not None else None
        await access.audit(resource=target, query=request.url.query)
        return deleted_response(deleted, prefer=parse_prefer(request.headers.get("prefer")), media=media)

    router.add_api_route(TYPE, create, methods=["POST"], name="fhir.create", summary="create",
                         openapi_extra=RESOURCE_BODY)  # fmt: skip
    router.add_api_route(TYPE, conditional_update, methods=["PUT"], name="fhir.conditional-update",
                         summary="conditional update", openapi_extra=RESOURCE_BODY)  # fmt: skip
    router.add_api_route(TYPE, conditional_patch, methods=["PATCH"], name="fhir.conditional-patch",
                         summary="conditional patch", openapi_extra=PATCH_BODY)  # fmt: skip
    router.add_api_route(TYPE, conditional_delete, methods=["DELETE"], name="fhir.conditional-delete",
                         summary="conditional delete")  # fmt: skip
