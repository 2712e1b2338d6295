"""What every FHIR route handler shares: the engine, the mount point, the guard, how writes answer."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.guard import Access, Guard
from caremesh.fhir.rest.http import base_url
from caremesh.fhir.rest.responses import write_response
from caremesh.fhir.writes import Written


@dataclass(frozen=True)
class Rest:
    engine: FhirEngine
    prefix: str
    guard: Guard

    def base(self, request: Request) -> str:
        return base_url(request, self.engine.base_url, self.prefix)

    async def written(self, request: Request, access: Access, written: Written, media: str) -> Response:
        """The answer to a create, update or patch, once the caller may see it and it is audited
        (a conditional create that found a match returns a resource that was not written)."""
        stored = written.stored
        reference = f"{stored.resource_type}/{stored.resource_id}"
        # Segmentation: only a conditional create's match returns what the caller did not send
        # (a patch's target was screened before it was applied).
        patients = await access.admit(stored.body, resource=reference, disclose=written.existing)
        await access.audit(patients=patients, resource=f"{reference}/_history/{stored.version}")
        status = 201 if written.created else 200
        action = "created" if written.created else ("found" if written.existing else "updated")
        return write_response(
            stored,
            status=status,
            prefer=parse_prefer(request.headers.get("prefer")),
            base=self.base(request),
            media=media,
            message=f"{action} {stored.resource_type}/{stored.resource_id} (version {stored.version})",
        )
