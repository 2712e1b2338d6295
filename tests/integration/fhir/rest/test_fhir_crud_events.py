"""Every committed write leaves one ResourceChanged in the outbox; failed writes leave none."""

from __future__ import annotations

from fhir_rest_harness import FhirApp, observation, patient

from caremesh.contracts.clinical import ResourceChanged


async def test_writes_publish_resource_changed_with_the_patient(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    oid = (await fhir.created("Observation", observation(pid)))["id"]
    await fhir.put(f"Patient/{pid}", patient(id=pid))
    await fhir.delete(f"Observation/{oid}")
    await fhir.created("Practitioner", {"resourceType": "Practitioner", "name": [{"family": "Doc"}]})
    events = await fhir.events()
    assert {e["type"] for e in events} == {ResourceChanged.event_type}
    payloads = [ResourceChanged.model_validate(e["payload"]) for e in events]
    seen = [(p.resource_type, p.interaction, p.version_id, p.patient_id) for p in payloads]
    assert seen == [
        ("Patient", "create", 1, pid),
        ("Observation", "create", 1, pid),
        ("Patient", "update", 2, pid),
        ("Observation", "delete", 2, pid),
        ("Practitioner", "create", 1, None),
    ]
    assert events[1]["aggregate_id"] == f"Observation/{oid}"


async def test_failed_and_idle_writes_publish_nothing(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    await fhir.post("Patient", b'{"resourceType": "Patient", "gender": "robot"}')
    await fhir.put(f"Patient/{pid}", patient(id=pid), if_match='W/"9"')
    await fhir.delete("Patient/never-existed")
    assert len(await fhir.events()) == 1


async def test_events_reach_the_bus_and_counters_the_metrics(fhir: FhirApp) -> None:
    await fhir.created("Patient", patient())
    await fhir.runtime.drain_outboxes()
    async with fhir.db.read() as conn:
        pending = await conn.fetchval("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
    assert pending == 0
    metrics = (await fhir.client.get("/metrics")).text
    assert 'caremesh_clinical_resource_writes_total{interaction="create",resource_type="Patient"}' in metrics


async def test_readiness_checks_the_fhir_store(fhir: FhirApp) -> None:
    ready = await fhir.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["clinical.fhir-store"] == "ok"
