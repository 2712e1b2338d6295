"""Bulk export is bound to whoever started it; confined callers cannot export at all."""

from __future__ import annotations

import asyncio

from access_harness import FULL, observation_body, patient_body, running, token

ASYNC = {"prefer": "respond-async"}


async def test_status_and_files_belong_to_the_starter(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        await app.create(observation_body(alice))
        owner = token(["system/*.rs"], kind="client", subject="export-app", client_id="export-app")
        other = token(["system/*.rs"], kind="client", subject="other-app", client_id="other-app")
        kicked = await app.client.get("/fhir/R4/$export", headers={**owner, **ASYNC})
        assert kicked.status_code == 202, kicked.text
        status_url = kicked.headers["content-location"]
        job = status_url.rsplit("/", 1)[1]

        stranger = await app.client.get(status_url, headers=other)
        unknown = await app.client.get(status_url.replace(job, "no-such-job"), headers=other)
        assert stranger.status_code == unknown.status_code == 403 and stranger.content == unknown.content
        assert (await app.client.delete(status_url, headers=other)).status_code == 403

        worker = app.runtime.contexts["clinical"].workers["clinical.fhir-export"]
        task = asyncio.ensure_future(worker())
        try:
            for _ in range(200):
                polled = await app.client.get(status_url, headers=owner)
                if polled.status_code == 200:
                    break
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert polled.status_code == 200, polled.text
        file_url = polled.json()["output"][0]["url"]
        assert (await app.client.get(file_url, headers=other)).status_code == 403
        assert (await app.client.get(file_url, headers=owner)).status_code == 200
        interactions = [
            e["subtype"][0]["code"]
            for e in await app.audit_rows()
            if e["agent"][0]["who"]["identifier"]["value"] == "export-app"
        ]
        assert interactions == ["export", "export"]  # kick-off and the download


async def test_confined_and_unscoped_callers_cannot_export(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        as_alice = token(["patient/*.rs"], roles=["patient"], patient=alice)
        assert (
            await app.client.get("/fhir/R4/Patient/$export", headers={**as_alice, **ASYNC})
        ).status_code == 403
        narrow = token(["system/Patient.rs"], kind="client")
        refused = await app.client.get("/fhir/R4/$export", headers={**narrow, **ASYNC})
        assert refused.status_code == 403
        typed = await app.client.get("/fhir/R4/$export?_type=Patient", headers={**narrow, **ASYNC})
        assert typed.status_code == 202
        nurse = token(FULL, roles=["nurse"])  # nurses may not read financial data: no full export
        assert (await app.client.get("/fhir/R4/$export", headers={**nurse, **ASYNC})).status_code == 403
