"""Synthea patients written to a real server process read back exactly as sent (apart from meta),
stay valid against the R4 schema, and reference search from each Patient finds exactly the
Encounters, Observations and Conditions of that patient's bundle.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

import httpx
import pytest
from interop_conformance import FHIR_JSON, assert_schema_valid, fhir_body
from interop_server import FhirServer
from interop_synthea import LoadedBundle, as_puts, smallest_patient_bundles

from caremesh.fhir.validation.validator import Validator

BUNDLES = 5
CONCURRENCY = 8
T = TypeVar("T")


@cache
def synthea() -> tuple[LoadedBundle, ...]:
    return tuple(as_puts(name, raw) for name, raw in smallest_patient_bundles(BUNDLES))


def _exact(raw: bytes | str) -> Any:
    # Decimals compare by their digits: 1.50 must come back as 1.50, not as the float 1.5.
    return json.loads(raw, parse_float=Decimal)


async def _bounded(items: Iterable[T], work: Callable[[T], Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: T) -> None:
        async with gate:
            await work(item)

    await asyncio.gather(*(one(item) for item in items))


def _client(server: FhirServer) -> httpx.AsyncClient:
    headers = {**server.headers, "content-type": FHIR_JSON}
    return httpx.AsyncClient(base_url=server.base, headers=headers, timeout=60)


async def _load(server: FhirServer) -> None:
    async with _client(server) as http:

        async def put(item: tuple[tuple[str, str], bytes]) -> None:
            (res_type, res_id), body = item
            response = await http.put(f"/{res_type}/{res_id}", content=body)
            assert response.status_code == 201, (res_type, res_id, response.status_code, response.text[:500])

        for bundle in synthea():
            await _bounded(bundle.sent.items(), put)


@pytest.fixture(scope="session")
def loaded(server: FhirServer) -> FhirServer:
    """The server with the Synthea patients written to it, once per session and dialect."""
    asyncio.run(_load(server))
    return server


async def test_each_resource_reads_back_as_sent(loaded: FhirServer, validator: Validator) -> None:
    async with _client(loaded) as http:

        async def read_back(item: tuple[tuple[str, str], bytes]) -> None:
            (res_type, res_id), sent = item
            response = await http.get(f"/{res_type}/{res_id}")
            assert response.status_code == 200, (res_type, res_id, response.text[:300])
            stored = fhir_body(response)
            assert_schema_valid(validator, stored)
            got, expected = _exact(response.content), _exact(sent)
            meta, sent_meta = got.pop("meta"), expected.pop("meta", {})
            assert meta["versionId"] == "1" and sent_meta.items() <= meta.items(), (meta, sent_meta)
            assert got == expected, (res_type, res_id)

        for bundle in synthea():
            await _bounded(bundle.sent.items(), read_back)


async def _search_ids(http: httpx.AsyncClient, resource_type: str, params: dict[str, str]) -> list[str]:
    """Every id the search finds, following next links page by page."""
    found: list[str] = []
    url: str | None = f"/{resource_type}"
    query: dict[str, str] | None = {**params, "_count": "50"}
    while url is not None:
        page = fhir_body(await http.get(url, params=query))
        assert page["type"] == "searchset", page
        found += [e["resource"]["id"] for e in page.get("entry", []) if e["search"]["mode"] == "match"]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        query = None  # a next link carries its own query
    return found


@pytest.mark.parametrize("resource_type", ["Encounter", "Observation", "Condition"])
async def test_reference_search_from_each_patient_finds_its_bundle(
    loaded: FhirServer, resource_type: str
) -> None:
    bundles = synthea()
    assert sum(len(b.ids_of(resource_type)) for b in bundles) > 0, "the sample must exercise this type"
    async with _client(loaded) as http:
        for bundle in bundles:
            for criteria in ({"subject": f"Patient/{bundle.patient_id}"}, {"patient": bundle.patient_id}):
                found = await _search_ids(http, resource_type, criteria)
                assert len(found) == len(set(found)), (bundle.name, criteria, "duplicates across pages")
                assert set(found) == bundle.ids_of(resource_type), (bundle.name, resource_type, criteria)
