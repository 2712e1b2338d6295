"""Bulk Data ``$export``: kick-off (system, Patient, Group), status polling, cancel, file download."""

from __future__ import annotations

from datetime import datetime

import orjson
from fastapi import APIRouter, Request, Response

from caremesh.fhir.access.policy import ANY_TYPE, Interaction
from caremesh.fhir.ids import require_id
from caremesh.fhir.meta import instant
from caremesh.fhir.operations.bulk_export.jobs import COMPLETED, FAILED, ExportJob
from caremesh.fhir.operations.bulk_export.service import BulkExport
from caremesh.fhir.operations.capability import Operation
from caremesh.fhir.outcome import FhirError, Issue, information, outcome_bytes
from caremesh.fhir.prefer import parse_prefer
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.export_screening import screened_file
from caremesh.fhir.rest.guard import Access
from caremesh.kernel.audit.grants import is_owner, record_owner

_BULK = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
EXPORT_OPERATIONS = [
    Operation("export", f"{_BULK}/export", "system"),
    Operation("export", f"{_BULK}/patient-export", "type", "Patient"),
    Operation("export", f"{_BULK}/group-export", "instance", "Group"),
]
_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
_KNOWN = frozenset({"_outputFormat", "_type", "_since"})
NDJSON = "application/fhir+ndjson"


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FhirError.single(
            400, "value", f"_since {value[:40]!r} is not an instant with a time zone", "_since"
        )
    return moment


def _types(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    types = tuple(t.strip() for t in value.split(",") if t.strip())
    return types or None


def _check_request(request: Request) -> None:
    if not parse_prefer(request.headers.get("prefer")).respond_async:
        raise FhirError.single(400, "invalid", "$export runs asynchronously: send Prefer: respond-async")
    unknown = [name for name in request.query_params if name not in _KNOWN]
    if unknown:
        raise FhirError.single(
            400, "not-supported", f"$export does not support {unknown[0][:40]!r}", unknown[0]
        )
    wanted = request.query_params.get("_outputFormat")
    if wanted is not None and wanted not in _FORMATS:
        raise FhirError.single(
            400, "not-supported", f"_outputFormat {wanted[:60]!r}: only ndjson", "_outputFormat"
        )


def _manifest(job: ExportJob, base: str) -> bytes:
    return orjson.dumps({
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": out["type"], "url": f"{base}/$export-file/{job.id}/{out['file']}", "count": out["count"]}
            for out in job.output
        ],
        "error": [],
    })  # fmt: skip


def add_export_routes(router: APIRouter, rest: Rest, exports: BulkExport) -> None:
    db = rest.engine.db

    async def kick_off(request: Request, level: str, group_id: str | None = None) -> Response:
        types = _types(request.query_params.get("_type"))
        accesses = [await rest.guard.allow(request, Interaction.EXPORT, t) for t in types or (ANY_TYPE,)]
        access = accesses[0]
        if any(a.hides_missing for a in accesses):
            await access.refuse(resource="$export")  # exports are not confined to one patient
        _check_request(request)
        base = rest.base(request)
        job_id = await exports.kick_off(
            level=level, request_url=str(request.url), group_id=group_id,
            types=types, since=_since(request.query_params.get("_since")),
        )  # fmt: skip
        await record_owner(db, job_id, access.principal.subject, access.principal.client_id)
        await access.audit(resource=f"$export-status/{job_id}", query=request.url.query or None)
        status_url = f"{base}/$export-status/{job_id}"
        body = information(f"export accepted: poll {status_url}")
        return Response(
            body,
            status_code=202,
            headers={"Content-Location": status_url},
            media_type="application/fhir+json",
        )

    async def owned(request: Request, job_id: str) -> Access:
        """Only the caller who started an export sees it; anyone else, or an unknown job, gets the
        same refusal."""
        access = await rest.guard.authenticated(request, Interaction.EXPORT)
        if not await is_owner(db, job_id, access.principal.subject, access.principal.client_id):
            await access.refuse(resource=f"$export-status/{job_id}")
        return access

    async def system_export(request: Request) -> Response:
        return await kick_off(request, "system")

    async def patient_export(request: Request) -> Response:
        return await kick_off(request, "patient")

    async def group_export(request: Request, group_id: str) -> Response:
        return await kick_off(request, "group", require_id(group_id, "id"))

    async def status(request: Request, job_id: str) -> Response:
        await owned(request, job_id)
        job = await exports.job(job_id)
        if job.state == COMPLETED:
            return Response(_manifest(job, rest.base(request)), media_type="application/json")
        if job.state == FAILED:
            issue = Issue("processing", f"the export failed: {job.error or 'unknown reason'}")
            return Response(outcome_bytes([issue]), status_code=422, media_type="application/fhir+json")
        headers = {"X-Progress": job.progress or job.state, "Retry-After": "1"}
        return Response(status_code=202, headers=headers)

    async def cancel(request: Request, job_id: str) -> Response:
        await owned(request, job_id)
        await exports.cancel(job_id)
        return Response(information("export cancelled"), status_code=202, media_type="application/fhir+json")

    async def download(request: Request, job_id: str, name: str) -> Response:
        access = await owned(request, job_id)
        path = await exports.file(job_id, name)
        response = await screened_file(access, path, NDJSON)  # segmentation, for the owner
        await access.audit(resource=f"$export-file/{job_id}/{name}")
        return response

    router.add_api_route("/$export", system_export, methods=["GET"], name="fhir.export", summary="$export")
    router.add_api_route("/Patient/$export", patient_export, methods=["GET"], name="fhir.patient-export",
                         summary="Patient $export")  # fmt: skip
    router.add_api_route("/Group/{group_id}/$export", group_export, methods=["GET"], name="fhir.group-export",
                         summary="Group $export")  # fmt: skip
    router.add_api_route("/$export-status/{job_id}", status, methods=["GET"], name="fhir.export-status",
                         summary="$export status")  # fmt: skip
    router.add_api_route("/$export-status/{job_id}", cancel, methods=["DELETE"], name="fhir.export-cancel",
                         summary="cancel an $export")  # fmt: skip
    router.add_api_route("/$export-file/{job_id}/{name}", download, methods=["GET"], name="fhir.export-file",
                         summary="an $export NDJSON file")  # fmt: skip
