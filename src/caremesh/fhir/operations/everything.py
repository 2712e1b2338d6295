"""``Patient/[id]/$everything``: the patient and every resource of its compartment, paged.

The compartment search does the work; the operation's own parameters map onto it (``_since`` is
``_lastUpdated=ge``; ``_type`` and ``_count`` pass through) and the page links are rewritten to
point at the operation again.
"""

from __future__ import annotations

from urllib.parse import quote

from caremesh.fhir.bundles import searchset
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.outcome import FhirError

PASSED_ON = ("_count", "_offset", "_type", "_lastUpdated")
DEFAULT_COUNT = "100"


def everything_params(query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for name, value in query:
        if name == "_since":
            params.append(("_lastUpdated", f"ge{value}"))
        elif name in PASSED_ON:
            params.append((name, value))
        elif name not in ("_format", "_pretty"):
            raise FhirError.single(
                400, "not-supported", f"$everything does not take the parameter {name[:60]!r}"
            )
    if not any(name == "_count" for name, _ in params):
        params.append(("_count", DEFAULT_COUNT))
    return params


async def everything(
    engine: FhirEngine, patient_id: str, query: list[tuple[str, str]], *, base: str
) -> bytes:
    await engine.read("Patient", patient_id)  # 404 / 410 for a patient that is not there
    result = await engine.search(
        None, everything_params(query), base_url=base, compartment=("Patient", patient_id)
    )
    compartment_path = f"{base}/Patient/{quote(patient_id, safe='')}/*"
    operation_path = f"{base}/Patient/{quote(patient_id, safe='')}/$everything"
    result.links = {
        relation: url.replace(compartment_path, operation_path, 1) for relation, url in result.links.items()
    }
    return searchset(result, base)
