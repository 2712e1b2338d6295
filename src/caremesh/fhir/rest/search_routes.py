"""Search: by type, across types, within a Patient's compartment; GET and POST ``_search``.

The search engine (``caremesh.fhir.search``) finds the page; this layer reads the request's
parameters (query string, plus the form body of a POST) and wraps the stored bodies of the page,
unparsed, in a searchset Bundle.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response

from caremesh.fhir.bundles import searchset
from caremesh.fhir.conditional import without_nul
from caremesh.fhir.ids import require_id
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.http import read_body, require_content_type, response_type

TYPE = "/{res_type:fhir_type}"
SEARCH = TYPE + "/_search"
COMPARTMENT = "/{compartment_type:fhir_type}/{compartment_id:fhir_id}"
FORM = "application/x-www-form-urlencoded"


async def search_params(request: Request, limit: int) -> list[tuple[str, str]]:
    params = request.query_params.multi_items()
    if request.method == "POST":
        require_content_type(request, frozenset({FORM}))
        form = await read_body(request, limit)
        params += parse_qsl(form.decode("utf-8", "replace"), keep_blank_values=True)
    return without_nul(params)


def add_search_routes(router: APIRouter, rest: Rest) -> None:
    engine = rest.engine

    async def answer(
        request: Request, resource_type: str | None, compartment: tuple[str, str] | None = None
    ) -> Response:
        media = response_type(request)
        params = await search_params(request, engine.max_body_bytes)
        base = rest.base(request)
        result = await engine.search(
            resource_type,
            params,
            base_url=base,
            handling=parse_prefer(request.headers.get("prefer")).handling,
            compartment=compartment,
        )
        return Response(searchset(result, base), media_type=media + "; charset=utf-8")

    async def type_search(request: Request, res_type: str) -> Response:
        return await answer(request, engine.require_type(res_type))

    async def system_search(request: Request) -> Response:
        return await answer(request, None)

    async def compartment_search(
        request: Request, compartment_type: str, compartment_id: str, res_type: str
    ) -> Response:
        compartment = (engine.require_type(compartment_type), require_id(compartment_id))
        return await answer(request, engine.require_type(res_type), compartment)

    async def whole_compartment(request: Request, compartment_type: str, compartment_id: str) -> Response:
        compartment = (engine.require_type(compartment_type), require_id(compartment_id))
        return await answer(request, None, compartment)

    router.add_api_route(TYPE, type_search, methods=["GET"], name="fhir.search", summary="search")
    for method in ("GET", "POST"):
        router.add_api_route(
            SEARCH, type_search, methods=[method], name=f"fhir.search-type-{method.lower()}", summary="search"
        )
    router.add_api_route(
        "", system_search, methods=["GET"], name="fhir.search-system", summary="search (all types)"
    )
    for method in ("GET", "POST"):
        router.add_api_route(
            "/_search",
            system_search,
            methods=[method],
            name=f"fhir.search-all-{method.lower()}",
            summary="search",
        )
    router.add_api_route(
        COMPARTMENT + TYPE,
        compartment_search,
        methods=["GET"],
        name="fhir.search-compartment",
        summary="search (compartment)",
    )
    router.add_api_route(
        COMPARTMENT + "/*",
        whole_compartment,
        methods=["GET"],
        name="fhir.search-compartment-all",
        summary="search (whole compartment)",
    )
