"""Every FHIR access leaves a BALP-shaped AuditEvent in a hash chain that proves itself."""

from __future__ import annotations

import asyncio
import base64

import pytest
from tests.integration.access.access_harness import FULL, observation_body, patient_body, running, token

from caremesh.kernel.audit.signing import default_signer
from caremesh.kernel.audit.verify import verify_chain


@pytest.fixture(autouse=True)
def _frequent_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREMESH_AUDIT_CHECKPOINT_EVERY", "5")


async def test_reads_searches_and_writes_are_recorded_as_balp_events(database_url: str) -> None:
    async with running(database_url) as app:
        clinician = token(FULL, roles=["clinician"], subject="dr-audit")
        alice = await app.create(patient_body("Alpha"), clinician)
        obs = await app.create(observation_body(alice), clinician)
        assert (await app.get(f"Observation/{obs}", clinician)).status_code == 200
        assert (await app.get(f"Observation?subject=Patient/{alice}", clinician)).status_code == 200

        events = await app.audit_rows()
        assert [e["subtype"][0]["code"] for e in events] == ["create", "create", "read", "search"]
        assert [e["action"] for e in events] == ["C", "C", "R", "E"]
        read = events[2]
        assert read["type"]["code"] == "rest" and read["outcome"] == "0"
        assert read["agent"][0]["who"]["identifier"]["value"] == "dr-audit"
        assert read["agent"][0]["role"][0]["coding"][0]["code"] == "clinician"
        assert read["agent"][1]["who"]["identifier"]["value"] == "access-tests"
        assert read["source"]["observer"]["display"] == "caremesh/clinical"
        references = [e.get("what", {}).get("reference") for e in read["entity"]]
        assert f"Patient/{alice}" in references and f"Observation/{obs}" in references
        query = next(e for e in events[3]["entity"] if "query" in e)
        assert base64.b64decode(query["query"]).decode() == f"subject=Patient%2F{alice}"
        assert any(e.get("what", {}).get("reference") == f"Patient/{alice}" for e in events[3]["entity"])

        verdict = await verify_chain(app.db, default_signer())
        assert verdict.ok and verdict.records == 4


async def test_refusals_are_recorded_with_a_failure_outcome(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        billing = token(FULL, roles=["billing"], subject="billing-1")
        assert (await app.get(f"Observation?subject=Patient/{alice}", billing)).status_code == 403
        refused = (await app.audit_rows())[-1]
        assert refused["outcome"] == "4" and refused["agent"][0]["who"]["identifier"]["value"] == "billing-1"


async def test_concurrent_requests_share_commits_and_the_chain_stays_whole(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        before = len(await app.audit_rows())
        responses = await asyncio.gather(*(app.get(f"Patient/{alice}", token()) for _ in range(40)))
        assert all(r.status_code == 200 for r in responses)
        events = await app.audit_rows()
        assert len(events) == before + 40
        verdict = await verify_chain(app.db, default_signer())
        # A checkpoint is signed whenever a committed batch crosses a multiple of 5.
        assert verdict.ok and verdict.records == before + 40 and verdict.checkpoints >= 1


async def test_updates_and_deletes_of_audit_rows_are_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREMESH_AUDIT_CHECKPOINT_EVERY", "1")
    async with running(database_url) as app:
        await app.create(patient_body("Alpha"))
        for statement in (
            "UPDATE audit_event SET subject = 'someone-else'",
            "DELETE FROM audit_event",
            "DELETE FROM audit_checkpoint",
            "UPDATE audit_patient SET patient_id = 'x'",
        ):
            with pytest.raises(Exception, match="append-only"):
                async with app.db.transaction() as conn:
                    await conn.execute(statement)
        assert len(await app.audit_rows()) == 1


async def test_when_the_audit_cannot_be_written_no_phi_is_returned(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Canaryfamily"))
        async with app.db.transaction() as conn:
            await conn.execute("ALTER TABLE audit_event RENAME TO audit_event_gone")
        response = await app.get(f"Patient/{alice}", token())
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/fhir+json")
        assert "Canaryfamily" not in response.text
        search = await app.get("Patient?family=Canaryfamily", token())
        assert search.status_code == 503 and "Canaryfamily" not in search.text
