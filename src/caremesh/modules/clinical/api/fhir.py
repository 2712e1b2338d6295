"""The FHIR engine's REST API, mounted for every R4 resource type."""

from __future__ import annotations

from fastapi import APIRouter

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.rest import build_fhir_router
from caremesh.modules.clinical.adapters.settings import FHIR_PREFIX


def build_router(engine: FhirEngine) -> APIRouter:
    return build_fhir_router(engine, prefix=FHIR_PREFIX)
