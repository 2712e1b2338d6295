"""Bulk export files are screened for the caller who downloads them, like any other disclosure."""

from __future__ import annotations

import asyncio

import orjson
from access_harness import AccessApp, running
from segmentation_harness import REDISCLOSURE, consent, record_with_part2, staff

ASYNC = {"prefer": "respond-async"}


async def exported_files(app: AccessApp, headers: dict[str, str]) -> list[str]:
    kicked = await app.client.get("/fhir/R4/$export?_type=Observation", headers={**headers, **ASYNC})
    assert kicked.status_code == 202, kicked.text
    status_url = kicked.headers["content-location"]
    worker = app.runtime.contexts["clinical"].workers["clinical.fhir-export"]
    task = asyncio.ensure_future(worker())
    try:
        for _ in range(200):
            polled = await app.client.get(status_url, headers=headers)
            if polled.status_code == 200:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert polled.status_code == 200, polled.text
    return [out["url"] for out in polled.json()["output"]]


def ids(ndjson: bytes) -> set[str]:
    return {orjson.loads(line)["id"] for line in ndjson.splitlines() if line.strip()}


async def test_export_withholds_part2_lines_unless_a_consent_permits(database_url: str) -> None:
    async with running(database_url) as app:
        alice, plain, part2 = await record_with_part2(app)
        doctor = staff("p1")
        (file_url,) = await exported_files(app, doctor)
        withheld = await app.client.get(file_url, headers=doctor)
        assert withheld.status_code == 200
        assert ids(withheld.content) == {plain}
        assert REDISCLOSURE not in withheld.headers

        await app.create(consent(alice))
        released = await app.client.get(file_url, headers=doctor)
        assert ids(released.content) == {plain, part2}
        assert "42 CFR part 2" in released.headers[REDISCLOSURE]
