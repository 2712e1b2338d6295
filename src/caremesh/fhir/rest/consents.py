"""Where segmentation finds the patients' Consents: the same FHIR store, one search per request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from caremesh.fhir.access.disclosure import ConsentLoader
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.search.control import MAX_COUNT


def consent_loader(engine: FhirEngine) -> ConsentLoader | None:
    """None when this store does not hold Consents (then labelled data is never released)."""
    if "Consent" not in engine.resource_types:
        return None

    async def active_consents(patients: Sequence[str]) -> list[dict[str, Any]]:
        # More than MAX_COUNT active consents for a page's patients would leave some unread:
        # a resource that needed one of them is then withheld, never wrongly released.
        params = [
            ("patient", ",".join(f"Patient/{patient}" for patient in patients)),
            ("status", "active"),
            ("_count", str(MAX_COUNT)),
        ]
        result = await engine.search("Consent", params, base_url=engine.base_url or "")
        loaded = (orjson.loads(match.body) for match in result.matches if match.body)
        return [consent for consent in loaded if isinstance(consent, dict)]

    return active_consents
