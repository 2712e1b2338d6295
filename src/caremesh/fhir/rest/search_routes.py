"""Search: by type, across types, within a Patient's compartment; GET and POST ``_search``.

The search engine (``caremesh.fhir.search``) finds the page; this layer reads the request's
parameters (query string, plus the form body of a POST) and wraps the stored bodies of the page,
unparsed, in a searchset Bundle.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response

from caremesh.fhir.access.policy import ANY_TYPE, Interaction
from caremesh.fhir.bundles import searchset
from caremesh.fhir.conditional import without_nul
from caremesh.fhir.ids import require_id
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.guard import Access
from caremesh.fhir.rest.http import read_body, require_content_type, response_type
from caremesh.fhir.rest.screening import Screen
from caremesh.fhir.search.paging import search_path

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


def restriction_params(access: Access) -> list[tuple[str, str]]:
    """A granular scope on one parameter becomes a criterion, so totals and paging stay right
    (screening still checks every resource; several parameters are left to screening alone)."""
    restrictions = access.decision.restrictions
    if (
        not restrictions
        or any(len(r) != 1 for r in restrictions)
        or len({r[0][0] for r in restrictions}) != 1
    ):
        return []
    return [(restrictions[0][0][0], ",".join(r[0][1] for r in restrictions))]


def confine(access: Access, compartment: tuple[str, str] | None) -> tuple[str, str] | None:
    """The compartment a confined caller's search runs in: their own, whatever they asked."""
    patient = access.decision.patient
    if patient is None:
        return compartment
    return ("Patient", patient)


def add_search_routes(router: APIRouter, rest: Rest) -> None:
    engine = rest.engine

    async def answer(
        request: Request, resource_type: str | None, compartment: tuple[str, str] | None = None
    ) -> Response:
        media = response_type(request)
        access = await rest.guard.allow(request, Interaction.SEARCH, resource_type or ANY_TYPE)
        searched = confine(access, compartment)
        if compartment is not None and searched != compartment:
            await access.refuse(resource=f"{compartment[0]}/{compartment[1]}")
        params = await search_params(request, engine.max_body_bytes)
        base = rest.base(request)
        result = await engine.search(
            resource_type,
            params + restriction_params(access),
            base_url=base,
            handling=parse_prefer(request.headers.get("prefer")).handling,
            compartment=searched,
        )
        if searched != compartment:  # links keep the path the caller used
            implicit, asked = (
                search_path(base, resource_type, searched),
                search_path(base, resource_type, None),
            )
            result.links = {rel: url.replace(implicit, asked, 1) for rel, url in result.links.items()}
        screen = Screen(access, searched)
        result = await screen.result(result)
        if access.decision.restrictions and not restriction_params(access):
            result.total = None  # counted before screening: it would tell how many are withheld
        await access.audit(patients=screen.patients, query=urlencode(params))
        return access.mark(Response(searchset(result, base), media_type=media + "; charset=utf-8"))

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
