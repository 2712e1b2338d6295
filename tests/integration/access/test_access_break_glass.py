"""Emergency access: a stated reason opens a stored, time-limited grant; every use is flagged."""

from __future__ import annotations

from access_harness import FULL, patient_body, running, token

NOTE = {
    "resourceType": "DocumentReference",
    "status": "current",
    "content": [{"attachment": {"contentType": "text/plain", "data": "c3ludGhldGlj"}}],
}


async def test_break_glass_needs_a_role_that_may_and_a_reason(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        note = await app.create({**NOTE, "subject": {"reference": f"Patient/{alice}"}})
        pharmacist = token(FULL, roles=["pharmacist"], subject="rx-1")
        assert (await app.get(f"DocumentReference/{note}", pharmacist)).status_code == 403
        refused = await app.get(
            f"DocumentReference/{note}", {**pharmacist, "X-Caremesh-Break-Glass": "code blue"}
        )
        assert refused.status_code == 403  # pharmacists may not break the glass

        nurse = token(FULL, roles=["care-coordinator", "nurse"], subject="rn-1")
        coordinator = token(FULL, roles=["care-coordinator"], subject="cc-1")
        assert (await app.get(f"DocumentReference/{note}", coordinator)).status_code == 403
        blank = await app.get(f"DocumentReference/{note}", {**coordinator, "X-Caremesh-Break-Glass": "  "})
        assert blank.status_code == 403
        # A nurse may write notes already; what a nurse may not do is delete one, even in an emergency.
        glass = {**nurse, "X-Caremesh-Break-Glass": "unconscious patient in ED"}
        assert (await app.delete(f"DocumentReference/{note}", glass)).status_code == 403


async def test_a_grant_is_stored_flagged_in_the_audit_and_reused_until_it_expires(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        claim = await app.create(
            {
                "resourceType": "Claim",
                "status": "active",
                "use": "claim",
                "created": "2024-01-01",
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "oral"}]
                },
                "patient": {"reference": f"Patient/{alice}"},
                "provider": {"display": "x"},
                "priority": {"coding": [{"code": "normal"}]},
                "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "x"}}],
            }
        )
        nurse = token(FULL, roles=["nurse"], subject="rn-7")
        assert (await app.get(f"Claim/{claim}", nurse)).status_code == 403
        opened = await app.get(f"Claim/{claim}", {**nurse, "X-Caremesh-Break-Glass": "verify coverage in ED"})
        assert opened.status_code == 200, opened.text
        again = await app.get(f"Claim/{claim}", nurse)  # the grant holds without repeating the reason
        assert again.status_code == 200
        async with app.db.read() as conn:
            grants = await conn.fetch(
                "SELECT subject, reason, expires_at, granted_at FROM audit_access_grant"
            )
        assert [(g["subject"], g["reason"]) for g in grants] == [("rn-7", "verify coverage in ED")]
        assert (grants[0]["expires_at"] - grants[0]["granted_at"]).total_seconds() == 3600

        events = [e for e in await app.audit_rows() if e["agent"][0]["who"]["identifier"]["value"] == "rn-7"]
        assert [e["outcome"] for e in events] == ["4", "0", "0"]
        for event in events[1:]:
            assert {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "BTG"}]
            } in (event["purposeOfEvent"])
            assert event["extension"][0]["valueString"] == "verify coverage in ED"
        normal = await app.get(f"Patient/{alice}", nurse)  # allowed anyway: not flagged
        assert normal.status_code == 200
        assert "purposeOfEvent" not in (await app.audit_rows())[-1]
