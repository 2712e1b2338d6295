"""The FHIR R4 REST API over an engine: ``build_fhir_router(engine, prefix="/fhir/R4")``."""

from caremesh.fhir.rest.router import build_fhir_router

__all__ = ["build_fhir_router"]
