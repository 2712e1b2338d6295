"""What every FHIR route handler shares: the engine, the mount point, how writes answer."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.http import base_url
from caremesh.fhir.rest.responses import write_response
from caremesh.fhir.writes import Written


@dataclass(frozen=True)
class Rest:
    engine: FhirEngine
    prefix: str

    def base(self, request: Request) -> str:
        return base_url(request, self.engine.base_url, self.prefix)

    def written(self, request: Request, written: Written, media: str) -> Response:
        status = 201 if written.created else 200
        action = "created" if written.created else ("found" if written.existing else "updated")
        stored = written.stored
        return write_response(
            stored,
            status=status,
            prefer=parse_prefer(request.headers.get("prefer")),
            base=self.base(request),
            media=media,
            message=f"{action} {stored.resource_type}/{stored.resource_id} (version {stored.version})",
        )
