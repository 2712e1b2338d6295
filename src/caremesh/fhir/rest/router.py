"""``build_fhir_router(engine)``: the FHIR R4 REST API of one engine, ready to mount.

Path segments are matched by shape so the API shares its base with operations and other FHIR
endpoints mounted elsewhere: a type starts with a capital letter (``/metadata`` is not a type),
an id never starts with ``$`` or ``_`` (``/Patient/$everything``, ``/Patient/_search`` are not
instances). Anything that looks like an id but breaks the id rules reaches the handlers, which
answer 400 rather than 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.convertors import Convertor, register_url_convertor

from caremesh.fhir.access.membership import Membership
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.operations.bulk_export.service import BulkExport
from caremesh.fhir.rest.bundle_routes import add_bundle_routes
from caremesh.fhir.rest.consents import consent_loader
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.errors import FhirRoute, method_not_allowed, no_such_interaction
from caremesh.fhir.rest.export_routes import EXPORT_OPERATIONS, add_export_routes
from caremesh.fhir.rest.guard import Guard
from caremesh.fhir.rest.history_routes import add_history_routes
from caremesh.fhir.rest.instance_routes import INSTANCE, VERSION, add_instance_routes
from caremesh.fhir.rest.operation_routes import OPERATIONS, add_operation_routes
from caremesh.fhir.rest.search_routes import SEARCH, TYPE, add_search_routes
from caremesh.fhir.rest.type_routes import add_type_routes
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.security.principal import require_principal


class ResourceTypeSegment(Convertor[str]):
    regex = "[A-Z][A-Za-z0-9]{0,63}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class ResourceIdSegment(Convertor[str]):
    regex = "[^/$_][^/]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("fhir_type", ResourceTypeSegment())
register_url_convertor("fhir_id", ResourceIdSegment())

_ONLY: dict[str, tuple[str, ...]] = {
    INSTANCE: ("GET", "PUT", "PATCH", "DELETE"),
    VERSION: ("GET",),
    SEARCH: ("GET", "POST"),
    TYPE + "/_history": ("GET",),
    INSTANCE + "/_history": ("GET",),
    "/_history": ("GET",),
    "/_search": ("GET", "POST"),
    "": ("GET", "POST"),  # system search; batch and transaction Bundles
    "/metadata": ("GET",),
}
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def build_fhir_router(
    engine: FhirEngine,
    prefix: str = "/fhir/R4",
    exports: BulkExport | None = None,
    audit: AuditWriter | None = None,
    source: str = "caremesh/fhir",
) -> APIRouter:
    """Every interaction of ``engine`` under ``prefix``; callers need a bearer token whose scopes
    (and the user's roles) allow the interaction: see ``caremesh.fhir.access``.

    ``exports``: the host's Bulk Data export service, when it runs one (mounts ``$export``).
    ``audit``: where every access to PHI is recorded (``source`` names the observer); without
    it nothing is recorded and emergency (break-the-glass) access is not available.
    """
    router = APIRouter(
        prefix=prefix,
        route_class=FhirRoute,
        dependencies=[Depends(require_principal)],
        tags=["FHIR R4"],
    )
    membership = Membership(engine.definitions, engine.base_url)
    guard = Guard(engine.definitions, membership, audit, source, consent_loader(engine))
    rest = Rest(engine=engine, prefix=prefix, guard=guard)
    # No two of these paths match the same URL, so the order only decides how soon a request
    # finds its route: the hottest interactions (read, then search) come first.
    add_instance_routes(router, rest)
    add_search_routes(router, rest)
    add_type_routes(router, rest)
    add_history_routes(router, rest)
    add_bundle_routes(router, rest)
    operations = list(OPERATIONS)
    if exports is not None:
        add_export_routes(router, rest, exports)
        operations += EXPORT_OPERATIONS
    add_operation_routes(router, rest, operations)
    for path, allowed in _ONLY.items():
        refused = [method for method in _METHODS if method not in allowed]
        router.add_api_route(path, method_not_allowed(allowed), methods=refused, include_in_schema=False)
    router.add_api_route(
        "/{unmatched:path}", no_such_interaction, methods=list(_METHODS), include_in_schema=False
    )
    return router
