"""HIPAA Safe Harbor de-identification of FHIR R4 resources: pure functions over JSON dicts.

``Deidentifier().resource(resource)`` for one resource; ``deidentify_file(src, dst)`` for an
NDJSON extract (the researcher role's export and ``caremesh deid``)."""

from caremesh.fhir.deid.ndjson import ExtractSummary, deidentify_file, deidentify_lines
from caremesh.fhir.deid.safe_harbor import Deidentifier

__all__ = ["Deidentifier", "ExtractSummary", "deidentify_file", "deidentify_lines"]
