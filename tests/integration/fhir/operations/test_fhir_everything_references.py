"""$everything returns the compartment plus the resources it refers to (once each), paged, with
_type/_since/_count, and never another patient's data through a shared reference."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from tests.integration.fhir.fhir_engine_harness import BASE, create, engine_on

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.operations.everything import everything, everything_result
from caremesh.fhir.outcome import FhirError

LOINC = {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[FhirEngine]:
    async with engine_on(database_url) as built:
        yield built


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def _observation(subject: str, **extra: Any) -> dict[str, Any]:
    subject_ref = _ref("Patient", subject)
    return {"resourceType": "Observation", "status": "final", "code": LOINC, "subject": subject_ref, **extra}


async def _record(engine: FhirEngine) -> dict[str, str]:
    """A patient whose record refers to shared resources, and another patient nearby."""
    ids = {kind: await create(engine, {"resourceType": kind}) for kind in
           ("Organization", "Practitioner", "Location", "Medication")}  # fmt: skip
    ids["Practitioner2"] = await create(engine, {"resourceType": "Practitioner"})
    ids["other"] = await create(engine, {"resourceType": "Patient"})
    ids["shared_device"] = await create(engine, {"resourceType": "Device"})
    theirs = {"resourceType": "Device", "patient": _ref("Patient", ids["other"])}
    ids["their_device"] = await create(engine, theirs)
    ids["subject"] = subject = await create(engine, {
        "resourceType": "Patient", "managingOrganization": _ref("Organization", ids["Organization"]),
        "generalPractitioner": [_ref("Practitioner", ids["Practitioner"])],
    })  # fmt: skip
    ids["Encounter"] = await create(engine, {
        "resourceType": "Encounter", "status": "finished", "subject": _ref("Patient", subject),
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "participant": [{"individual": _ref("Practitioner", ids["Practitioner"])}],
        "location": [{"location": _ref("Location", ids["Location"])}],
        "serviceProvider": _ref("Organization", ids["Organization"]),
    })  # fmt: skip
    ids["MedicationRequest"] = await create(engine, {
        "resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "subject": _ref("Patient", subject), "medicationReference": _ref("Medication", ids["Medication"]),
        "requester": _ref("Practitioner", ids["Practitioner"]),
    })  # fmt: skip
    for name, device in (("obs_shared", "shared_device"), ("obs_their", "their_device")):
        ids[name] = await create(engine, _observation(subject, device=_ref("Device", ids[device])))
    await create(engine, _observation(ids["other"], performer=[_ref("Practitioner", ids["Practitioner2"])]))
    return ids


async def _pages(engine: FhirEngine, patient_id: str, query: list[tuple[str, str]]) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        result = await everything_result(engine, patient_id, query, base=BASE)
        pages.append([f"{m.res_type}/{m.res_id}" for m in result.matches])
        following = result.links.get("next")
        if following is None:
            return pages
        assert following.startswith(f"{BASE}/Patient/{patient_id}/$everything?")
        query = [tuple(p.split("=", 1)) for p in following.split("?", 1)[1].split("&")]  # type: ignore[misc]


async def test_everything_adds_what_the_compartment_refers_to_once(engine: FhirEngine) -> None:
    ids = await _record(engine)
    found = [ref for page in await _pages(engine, ids["subject"], []) for ref in page]
    assert found[0] == f"Patient/{ids['subject']}"  # the patient first
    assert len(found) == len(set(found))  # the Practitioner is referenced three times, listed once
    assert set(found) == {
        f"Patient/{ids['subject']}", f"Encounter/{ids['Encounter']}",
        f"MedicationRequest/{ids['MedicationRequest']}", f"Observation/{ids['obs_shared']}",
        f"Observation/{ids['obs_their']}", f"Organization/{ids['Organization']}",
        f"Practitioner/{ids['Practitioner']}", f"Location/{ids['Location']}",
        f"Medication/{ids['Medication']}", f"Device/{ids['shared_device']}",
    }  # fmt: skip  (not the other patient, their device, nor their observation's performer)


async def test_pages_cover_the_same_set_without_overlap(engine: FhirEngine) -> None:
    ids = await _record(engine)
    whole = [ref for page in await _pages(engine, ids["subject"], []) for ref in page]
    pages = await _pages(engine, ids["subject"], [("_count", "3")])
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert [ref for page in pages for ref in page] == whole


async def test_type_since_and_count(engine: FhirEngine) -> None:
    ids = await _record(engine)
    shared = [("_type", "Practitioner,Organization")]
    assert sorted(ref for page in await _pages(engine, ids["subject"], shared) for ref in page) == [
        f"Organization/{ids['Organization']}", f"Practitioner/{ids['Practitioner']}",
    ]  # fmt: skip
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    late = await create(engine, _observation(ids["subject"]))
    assert await _pages(engine, ids["subject"], [("_since", cut)]) == [[f"Observation/{late}"]]
    counted = await everything_result(engine, ids["subject"], [("_count", "0")], base=BASE)
    assert counted.matches == [] and "next" not in counted.links


async def test_bundle_and_bad_parameters(engine: FhirEngine) -> None:
    ids = await _record(engine)
    bundle = orjson.loads(await everything(engine, ids["subject"], [("_count", "2")], base=BASE))
    assert bundle["type"] == "searchset" and len(bundle["entry"]) == 2
    assert {link["relation"] for link in bundle["link"]} >= {"self", "next"}
    for query, status in (([("start", "2020")], 400), ([("_since", "yesterday")], 400),
                          ([("_type", "Nope")], 400), ([("_count", "-1")], 400)):  # fmt: skip
        with pytest.raises(FhirError) as caught:
            await everything_result(engine, ids["subject"], query, base=BASE)
        assert caught.value.status == status, query
    with pytest.raises(FhirError) as missing:
        await everything_result(engine, "nobody", [], base=BASE)
    assert missing.value.status == 404
