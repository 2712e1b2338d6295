"""The privacy officer searches the audit trail and gets an accounting of disclosures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from access_harness import FULL, AccessApp, observation_body, patient_body, running, token

from caremesh.kernel.audit.api import build_audit_router


@asynccontextmanager
async def with_audit_api(database_url: str) -> AsyncIterator[tuple[AccessApp, httpx.AsyncClient]]:
    async with running(database_url) as app:
        fastapi_app = app.client._transport.app  # type: ignore[attr-defined]
        fastapi_app.include_router(build_audit_router(lambda: app.runtime.databases))
        yield app, app.client


async def test_search_by_patient_user_and_period_and_disclosures(database_url: str) -> None:
    async with with_audit_api(database_url) as (app, client):
        alice = await app.create(patient_body("Alpha"))
        bob = await app.create(patient_body("Bravo"))
        await app.create(observation_body(alice))
        dr = token(FULL, roles=["clinician"], subject="dr-who")
        await app.get(f"Patient/{alice}", dr)
        await app.get(f"Patient/{bob}", dr)
        officer = token([], roles=["privacy-officer"], subject="po-1")

        by_patient = (await client.get(f"/v1/audit/events?patient={alice}", headers=officer)).json()
        interactions = [e["resource"]["subtype"][0]["code"] for e in by_patient["entry"]]
        assert interactions == ["read", "create", "create"]
        by_user = (await client.get("/v1/audit/events?user=dr-who", headers=officer)).json()
        assert by_user["total"] == 2
        future = (await client.get("/v1/audit/events?since=2999-01-01T00:00:00Z", headers=officer)).json()
        assert future["total"] == 0

        accounting = (await client.get(f"/v1/audit/disclosures?patient={alice}", headers=officer)).json()
        first = accounting["disclosures"][0]
        assert (first["who"], first["roles"], first["interaction"]) == ("dr-who", ["clinician"], "read")
        assert first["resources"] == [f"Patient/{alice}"]

        clinician = await client.get(f"/v1/audit/events?patient={alice}", headers=dr)
        assert clinician.status_code == 403
        assert clinician.headers["content-type"].startswith("application/problem+json")
        assert (await client.get("/v1/audit/events")).status_code == 401
        assert (await client.get("/v1/audit/events?since=yesterday", headers=officer)).status_code == 400
        # The officer's own searches are in the trail too.
        latest = (await client.get("/v1/audit/events?user=po-1", headers=officer)).json()
        assert {e["resource"]["subtype"][0]["code"] for e in latest["entry"]} == {
            "audit-search",
            "audit-disclosures",
        }
