"""Bulk Data $export round trips: kick-off, polling, manifest, NDJSON files, cancel, restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from tests.integration.fhir.rest.fhir_rest_harness import FhirApp, observation, patient

from caremesh.fhir.operations.bulk_export.service import BulkExport

ASYNC = {"prefer": "respond-async"}


@asynccontextmanager
async def export_worker(fhir: FhirApp) -> AsyncIterator[None]:
    """The clinical module's export worker, running as it does in a served process."""
    worker = fhir.runtime.contexts["clinical"].workers["clinical.fhir-export"]
    task = asyncio.ensure_future(worker())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def kick_off(fhir: FhirApp, path: str, **params: str) -> str:
    response = await fhir.client.get(f"/fhir/R4/{path}", params=params, headers=ASYNC)
    assert response.status_code == 202, response.text
    return response.headers["content-location"]


async def finished(fhir: FhirApp, status_url: str) -> dict[str, Any]:
    for _ in range(200):
        response = await fhir.client.get(status_url)
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 202, response.text
        assert response.headers["x-progress"]
        await asyncio.sleep(0.05)
    raise AssertionError("the export did not finish")


async def files(fhir: FhirApp, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for item in manifest["output"]:
        response = await fhir.client.get(item["url"])
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/fhir+ndjson")
        found[item["type"]] = [orjson.loads(line) for line in response.content.splitlines()]
        assert len(found[item["type"]]) == item["count"]
    return found


async def _data(fhir: FhirApp) -> tuple[str, str, str]:
    one = await fhir.created("Patient", patient("Exportone"))
    two = await fhir.created("Patient", patient("Exporttwo"))
    for _ in range(3):
        await fhir.created("Observation", observation(one["id"]))
    await fhir.created("Observation", observation(two["id"]))
    org = await fhir.created("Organization", {"resourceType": "Organization", "name": "Synthetic Clinic"})
    return one["id"], two["id"], org["id"]


async def test_system_export_round_trip(fhir: FhirApp) -> None:
    await _data(fhir)
    refused = await fhir.client.get("/fhir/R4/$export")
    assert refused.status_code == 400
    status_url = await kick_off(fhir, "$export")
    waiting = await fhir.client.get(status_url)
    assert waiting.status_code == 202 and waiting.headers["x-progress"]
    async with export_worker(fhir):
        manifest = await finished(fhir, status_url)
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/$export")
    assert "transactionTime" in manifest and manifest["error"] == []
    exported = await files(fhir, manifest)
    assert {kind: len(rows) for kind, rows in exported.items()} == {
        "Observation": 4,
        "Organization": 1,
        "Patient": 2,
    }
    stored = (await fhir.get(f"Patient/{exported['Patient'][0]['id']}")).json()
    assert stored in exported["Patient"]


async def test_patient_and_group_exports_keep_to_the_compartment(fhir: FhirApp) -> None:
    one, two, _ = await _data(fhir)
    members_of = [{"entity": {"reference": f"Patient/{one}"}}]
    group = await fhir.created(
        "Group", {"resourceType": "Group", "type": "person", "actual": True, "member": members_of}
    )
    async with export_worker(fhir):
        everyone = await finished(fhir, await kick_off(fhir, "Patient/$export", _type="Observation,Patient"))
        members = await finished(fhir, await kick_off(fhir, f"Group/{group['id']}/$export"))
    by_type = {kind: len(rows) for kind, rows in (await files(fhir, everyone)).items()}
    assert by_type == {"Observation": 4, "Patient": 2}
    exported = await files(fhir, members)
    assert [p["id"] for p in exported["Patient"]] == [one]
    assert {o["subject"]["reference"] for o in exported["Observation"]} == {f"Patient/{one}"}
    assert "Organization" not in exported
    assert two not in str(exported)


async def test_since_and_bad_parameters(fhir: FhirApp) -> None:
    await _data(fhir)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    async with export_worker(fhir):
        manifest = await finished(fhir, await kick_off(fhir, "$export", _since=later))
    assert manifest["output"] == []
    for params in ({"_type": "Spaceship"}, {"_since": "yesterday"}, {"_outputFormat": "text/csv"},
                   {"_typeFilter": "Patient?x=1"}):  # fmt: skip
        response = await fhir.client.get("/fhir/R4/$export", params=params, headers=ASYNC)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["resourceType"] == "OperationOutcome"
    missing = await fhir.client.get("/fhir/R4/Group/nogroup/$export", headers=ASYNC)
    assert missing.status_code == 404


async def test_cancel_removes_the_job_and_its_files(fhir: FhirApp) -> None:
    await _data(fhir)
    status_url = await kick_off(fhir, "$export")
    async with export_worker(fhir):
        manifest = await finished(fhir, status_url)
    file_url = manifest["output"][0]["url"]
    cancelled = await fhir.client.delete(status_url)
    assert cancelled.status_code == 202
    assert (await fhir.client.get(status_url)).status_code == 404
    assert (await fhir.client.get(file_url)).status_code == 404


async def test_a_job_left_running_by_a_stopped_process_starts_over(fhir: FhirApp) -> None:
    await _data(fhir)
    status_url = await kick_off(fhir, "$export")
    job_id = status_url.rsplit("/", 1)[1]
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    async with fhir.db.transaction() as conn:
        await conn.execute(
            "UPDATE fhir_export_job SET state = 'running', progress = '1/3', updated_at = $2 WHERE id = $1",
            job_id,
            long_ago,
        )
    async with export_worker(fhir):
        manifest = await finished(fhir, status_url)
    assert {item["type"] for item in manifest["output"]} == {"Observation", "Organization", "Patient"}


async def test_export_needs_a_token(fhir: FhirApp) -> None:
    transport = fhir.client._transport
    async with httpx.AsyncClient(transport=transport, base_url="http://fhir.test") as anonymous:
        response = await anonymous.get("/fhir/R4/$export", headers=ASYNC)
    assert response.status_code == 401


async def test_finished_jobs_expire_with_their_files(fhir: FhirApp) -> None:
    await _data(fhir)
    status_url = await kick_off(fhir, "$export")
    async with export_worker(fhir):
        manifest = await finished(fhir, status_url)
    served: BulkExport = fhir.runtime.contexts["clinical"].workers["clinical.fhir-export"].__self__  # type: ignore[attr-defined]
    job_id = status_url.rsplit("/", 1)[1]
    assert (served.directory / job_id).is_dir()
    await served.purge()  # within the retention: kept
    assert (await fhir.client.get(manifest["output"][0]["url"])).status_code == 200
    later = BulkExport(served.engine, served.directory, clock=lambda: datetime.now(UTC) + timedelta(days=2))
    await later.purge()
    assert (await fhir.client.get(status_url)).status_code == 404
    assert not (served.directory / job_id).exists()
