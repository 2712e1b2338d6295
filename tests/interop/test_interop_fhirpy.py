"""fhirpy's async client against a real server process: CRUD, search, paging, conditional writes."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from fhirpy import AsyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound
from interop_server import FhirServer


@pytest.fixture
def fhir(server: FhirServer) -> AsyncFHIRClient:
    return AsyncFHIRClient(server.base, authorization=server.auth_header)


def _family() -> str:
    return f"Fhirpy{secrets.token_hex(4)}"


async def test_create_read_update_delete(fhir: AsyncFHIRClient) -> None:
    family = _family()
    patient = fhir.resource("Patient", name=[{"family": family, "given": ["Ada"]}], gender="female")
    await patient.save()
    assert patient.id and patient["meta"]["versionId"] == "1"

    read = await fhir.reference("Patient", patient.id).to_resource()
    assert read["name"] == [{"family": family, "given": ["Ada"]}] and read["gender"] == "female"

    read["birthDate"] = "1984-02-29"
    await read.save()
    assert read["meta"]["versionId"] == "2"
    assert (await fhir.get("Patient", patient.id))["birthDate"] == "1984-02-29"

    await read.delete()
    with pytest.raises(ResourceNotFound):
        await fhir.reference("Patient", patient.id).to_resource()


async def test_search_with_parameters(fhir: AsyncFHIRClient) -> None:
    family = _family()
    for given, gender, born in (("Ann", "female", "1950-01-01"), ("Bob", "male", "1990-06-15"),
                                ("Cid", "male", "2001-12-31")):  # fmt: skip
        await fhir.resource("Patient", name=[{"family": family, "given": [given]}], gender=gender,
                            birthDate=born).save()  # fmt: skip

    men = await fhir.resources("Patient").search(family=family, gender="male").sort("birthdate").fetch()
    assert [p["name"][0]["given"][0] for p in men] == ["Bob", "Cid"]
    older = await fhir.resources("Patient").search(family=family, birthdate__lt="1995").fetch()
    assert sorted(p["name"][0]["given"][0] for p in older) == ["Ann", "Bob"]
    assert await fhir.resources("Patient").search(family=family).count() == 3
    assert await fhir.resources("Patient").search(family=family, gender="unknown").first() is None


async def test_paging_through_several_pages(fhir: AsyncFHIRClient) -> None:
    family = _family()
    created = [fhir.resource("Patient", name=[{"family": family, "given": [f"P{n:02}"]}]) for n in range(23)]
    await asyncio.gather(*(patient.save() for patient in created))
    search = fhir.resources("Patient").search(family=family).limit(5)

    everyone = await search.fetch_all()
    assert sorted(p.id for p in everyone) == sorted(p.id for p in created)

    iterated = [patient.id async for patient in search]
    assert sorted(iterated) == sorted(p.id for p in created)
    assert len(await search.fetch()) == 5  # one page only


async def test_conditional_create_and_update(server: FhirServer, fhir: AsyncFHIRClient) -> None:
    identifier = f"https://caremesh.example.org/mrn|{secrets.token_hex(6)}"
    system, value = identifier.split("|")
    body = {"name": [{"family": _family()}], "identifier": [{"system": system, "value": value}]}
    # fhirpy sends If-None-Exist only as an extra header of the client (its get_or_create puts the
    # criteria in the POST's query string, which is not FHIR R4 conditional create).
    conditional = AsyncFHIRClient(
        server.base,
        authorization=server.auth_header,
        extra_headers={"If-None-Exist": f"identifier={identifier}"},
    )
    first, second = conditional.resource("Patient", **body), conditional.resource("Patient", **body)
    await first.save()
    await second.save()
    assert first.id == second.id
    assert await fhir.resources("Patient").search(identifier=identifier).count() == 1

    by_identifier = fhir.resources("Patient").search(identifier=identifier)
    updated, created = await by_identifier.update(fhir.resource("Patient", gender="other", **body))
    assert not created and updated.id == first.id and updated["meta"]["versionId"] == "2"
    assert (await fhir.get("Patient", first.id))["gender"] == "other"
