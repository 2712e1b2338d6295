"""Conditional references resolved against the store as the transaction has changed it: they find
resources the same bundle creates (also through chains of such references), never deleted ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from bundle_data import SYSTEM, encounter, entry, observation, patient, urn
from tests.integration.fhir.fhir_engine_harness import body_of, count, create, engine_on, transaction

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.transaction.response import Answer


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[FhirEngine]:
    async with engine_on(database_url) as built:
        yield built


def _ref(answer: Answer) -> str:
    assert answer.stored is not None
    return f"{answer.stored.resource_type}/{answer.stored.resource_id}"


async def _body(engine: FhirEngine, answer: Answer) -> dict[str, Any]:
    assert answer.stored is not None
    return await body_of(engine, answer.stored.resource_type, answer.stored.resource_id)


def _cond(resource_type: str, value: str) -> str:
    return f"{resource_type}?identifier={SYSTEM}|{value}"


async def _refused(engine: FhirEngine, *entries: dict[str, Any]) -> FhirError:
    with pytest.raises(FhirError) as caught:
        await transaction(engine, *entries)
    return caught.value


async def test_a_conditional_reference_finds_a_patient_created_by_the_same_bundle(engine: FhirEngine) -> None:
    made_observation, made_patient = await transaction(
        engine,
        entry("POST", "Observation", observation(_cond("Patient", "same-1"))),  # listed first
        entry("POST", "Patient", patient("same-1"), fullUrl=urn()),
    )
    assert made_observation.status == 201 and made_patient.status == 201
    assert (await _body(engine, made_observation))["subject"]["reference"] == _ref(made_patient)


async def test_chains_of_conditional_references_resolve_in_rounds(engine: FhirEngine) -> None:
    visit = {**encounter(_cond("Patient", "chain-1")), "identifier": [{"system": SYSTEM, "value": "enc-1"}]}
    made_observation, made_encounter, made_patient = await transaction(
        engine,
        entry("POST", "Observation", observation(_cond("Patient", "chain-1"), _cond("Encounter", "enc-1"))),
        entry("POST", "Encounter", visit),
        entry("POST", "Patient", patient("chain-1")),
    )
    stored = await _body(engine, made_observation)
    assert stored["subject"]["reference"] == _ref(made_patient)
    assert stored["encounter"]["reference"] == _ref(made_encounter)
    assert (await _body(engine, made_encounter))["subject"]["reference"] == _ref(made_patient)


async def test_an_update_refers_to_what_the_bundle_created(engine: FhirEngine) -> None:
    holder = await create(engine, patient("holder"))
    existing = await create(engine, observation(f"Patient/{holder}"))
    changed = {**observation(_cond("Patient", "upd-ref")), "id": existing}
    updated, made_patient = await transaction(
        engine,
        entry("PUT", f"Observation/{existing}", changed),
        entry("POST", "Patient", patient("upd-ref")),
    )
    assert updated.status == 200
    assert (await _body(engine, updated))["subject"]["reference"] == _ref(made_patient)


async def test_a_created_and_a_stored_match_are_ambiguous(engine: FhirEngine) -> None:
    await create(engine, patient("dup-1"))
    error = await _refused(
        engine,
        entry("POST", "Patient", patient("dup-1")),
        entry("POST", "Observation", observation(_cond("Patient", "dup-1"))),
    )
    assert error.status == 412 and "more than one" in error.issues[0].diagnostics
    assert await count(engine, "Patient") == 1 and await count(engine, "Observation") == 0


async def test_deleted_by_the_bundle_or_never_written_is_no_match(engine: FhirEngine) -> None:
    old = await create(engine, patient("del-ref"))
    deleting = entry("DELETE", f"Patient/{old}")
    for first, wanted in ((deleting, "del-ref"), (entry("POST", "Patient", patient("other")), "never")):
        referring = entry("POST", "Observation", observation(_cond("Patient", wanted)))
        error = await _refused(engine, first, referring)
        assert error.status == 400
        assert "matches no Patient" in error.issues[0].diagnostics
        assert error.issues[0].expression == ("Bundle.entry[1]",)
    assert await count(engine, "Patient") == 1 and await count(engine, "Observation") == 0
