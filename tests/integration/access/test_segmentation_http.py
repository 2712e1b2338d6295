"""42 CFR Part 2 and confidentiality labels: withheld everywhere unless a Consent permits."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from access_harness import AccessApp, observation_body, running, token
from segmentation_harness import (
    ACT_CODE,
    CONFIDENTIALITY,
    IRCP,
    REDISCLOSURE,
    consent,
    entry_ids,
    labelled,
    patient_user,
    record_with_part2,
    staff,
)

from caremesh.fhir.rest.guard import DENIED


def doctor() -> dict[str, str]:
    return staff("p1")


async def visible_everywhere(app: AccessApp, alice: str, part2: str, headers: dict[str, str]) -> set[str]:
    """Where the Part 2 Observation shows up for ``headers``: read, search, include, $everything,
    history, a batch read."""
    target = f"Observation/{part2}"
    seen = set()
    read = await app.get(target, headers)
    assert read.status_code in (200, 403), read.text
    if read.status_code == 200:
        seen.add("read")
    else:
        assert read.json()["issue"][0]["diagnostics"] == DENIED
    if target in entry_ids((await app.get(f"Observation?patient={alice}", headers)).json()):
        seen.add("search")
    revinclude = await app.get(f"Patient?_id={alice}&_revinclude=Observation:subject", headers)
    if target in entry_ids(revinclude.json()):
        seen.add("revinclude")
    panel = await app.create({**observation_body(alice), "hasMember": [{"reference": target}]})
    included = await app.get(f"Observation?_id={panel}&_include=Observation:has-member", headers)
    assert f"Observation/{panel}" in entry_ids(included.json())
    if target in entry_ids(included.json()):
        seen.add("include")
    if target in entry_ids((await app.get(f"Patient/{alice}/$everything", headers)).json()):
        seen.add("everything")
    history = await app.get("Observation/_history", headers)
    if target in entry_ids(history.json()):
        seen.add("history")
    batch = await app.bundle(
        {"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"method": "GET", "url": target}}]},
        headers,
    )
    if batch.json()["entry"][0].get("resource"):
        seen.add("batch")
    return seen


EVERYWHERE = {"read", "search", "revinclude", "include", "everything", "history", "batch"}


async def test_part2_withheld_from_a_clinician_without_consent(database_url: str) -> None:
    async with running(database_url) as app:
        alice, plain, part2 = await record_with_part2(app)
        assert await visible_everywhere(app, alice, part2, doctor()) == set()
        # Only the labelled one is withheld; the search's total does not count it.
        found = (await app.get(f"Observation?patient={alice}", doctor())).json()
        assert f"Observation/{plain}" in entry_ids(found)
        assert f"Observation/{part2}" not in entry_ids(found)
        assert found.get("total") in (None, len(found["entry"]))
        assert (await app.get(f"Observation/{part2}/_history", doctor())).status_code == 403
        refused = [
            e for e in await app.audit_rows()
            if e["outcome"] == "4"
            and any(x.get("what", {}).get("reference") == f"Observation/{part2}" for x in e["entity"])
        ]  # fmt: skip
        assert refused  # the refusal of a withheld resource is audited like any other


async def test_part2_released_by_a_permitting_consent_with_the_notice(database_url: str) -> None:
    async with running(database_url) as app:
        alice, _, part2 = await record_with_part2(app)
        consent_id = await app.create(consent(alice))
        assert await visible_everywhere(app, alice, part2, doctor()) == EVERYWHERE
        read = await app.get(f"Observation/{part2}", doctor())
        assert "42 CFR part 2" in read.headers[REDISCLOSURE]
        search = await app.get(f"Observation?patient={alice}", doctor())
        assert REDISCLOSURE in search.headers
        plain_read = await app.get(f"Patient/{alice}", doctor())
        assert REDISCLOSURE not in plain_read.headers
        disclosure = next(
            e for e in reversed(await app.audit_rows())
            if any(x.get("what", {}).get("reference") == f"Observation/{part2}" for x in e["entity"])
        )  # fmt: skip
        assert f"Consent/{consent_id}" in disclosure["outcomeDesc"]
        assert "42CFRPart2" in disclosure["outcomeDesc"]
        assert disclosure["purposeOfEvent"][0]["coding"][0]["code"] == "TREAT"

DOCTOR_REF = "Practitioner/p1"
CLINICIANS = {
    "role": {"coding": [{"system": "https://caremesh.dev/fhir/CodeSystem/role", "code": "clinician"}]},
    "reference": {"reference": "Organization/synthetic-hospital"},
}

NOT_PERMITTING: list[tuple[str, dict[str, Any]]] = [
    ("other actor", {"actor": {"role": IRCP, "reference": {"reference": "Practitioner/p2"}}}),
    ("other purpose", {"purpose": "HPAYMT"}),
    ("inactive", {"status": "inactive"}),
    ("expired", {"period": {"start": "2020-01-01", "end": "2021-12-31"}}),
    ("not yet", {"period": {"start": "2999-01-01"}}),
    ("other label", {"labels": ({"system": ACT_CODE, "code": "PSY"},)}),
    ("no label (general authorization)", {"labels": ()}),
    (
        "nested deny for the actor",
        {"nested": [{"type": "deny", "actor": [{"role": IRCP, "reference": {"reference": DOCTOR_REF}}]}]},
    ),
]


async def test_consents_that_do_not_match_release_nothing(database_url: str) -> None:
    async with running(database_url) as app:
        alice, _, part2 = await record_with_part2(app)
        bob = await app.create({"resourceType": "Patient", "name": [{"family": "Other"}]})
        await app.create(consent(bob))  # another patient's consent releases nothing of Alice's
        for name, variant in NOT_PERMITTING:
            made = await app.create(consent(alice, **variant))
            assert (await app.get(f"Observation/{part2}", doctor())).status_code == 403, name
            found = (await app.get(f"Observation?patient={alice}", doctor())).json()
            assert f"Observation/{part2}" not in entry_ids(found), name
            assert (await app.delete(f"Consent/{made}", token())).status_code == 204, name
        # A period covering today and a role code as the actor do release it.
        await app.create(
            consent(alice, actor=CLINICIANS, period={"start": "2020", "end": "2999"})
        )
        assert (await app.get(f"Observation/{part2}", staff("p9"))).status_code == 200


async def test_confidentiality_r_and_v(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create({"resourceType": "Patient", "name": [{"family": "Confidential"}]})
        restricted = await app.create(
            labelled(observation_body(alice), {"system": CONFIDENTIALITY, "code": "R"})
        )
        very = await app.create(labelled(observation_body(alice), {"system": CONFIDENTIALITY, "code": "V"}))
        assert (await app.get(f"Observation/{restricted}", doctor())).status_code == 403
        assert (await app.get(f"Observation/{very}", doctor())).status_code == 403
        await app.create(consent(alice, labels=({"system": CONFIDENTIALITY, "code": "R"},)))
        assert (await app.get(f"Observation/{restricted}", doctor())).status_code == 200
        assert (await app.get(f"Observation/{very}", doctor())).status_code == 403  # R does not release V
        read = await app.get(f"Observation/{restricted}", doctor())
        assert REDISCLOSURE not in read.headers  # not Part 2 data: no Part 2 notice
        await app.create(consent(alice, labels=({"system": CONFIDENTIALITY, "code": "V"},)))
        assert (await app.get(f"Observation/{very}", doctor())).status_code == 200


async def test_the_patient_sees_their_own_record(database_url: str) -> None:
    async with running(database_url) as app:
        alice, _, part2 = await record_with_part2(app)
        mine = patient_user(alice)
        assert (await app.get(f"Observation/{part2}", mine)).status_code == 200
        found = (await app.get("Observation", mine)).json()
        assert f"Observation/{part2}" in entry_ids(found)
        everything = (await app.get(f"Patient/{alice}/$everything", mine)).json()
        assert f"Observation/{part2}" in entry_ids(everything)


@pytest.mark.parametrize("purpose", ["ETREAT"])
async def test_break_the_glass_is_emergency_treatment(database_url: str, purpose: str) -> None:
    async with running(database_url) as app:
        alice, _, part2 = await record_with_part2(app)
        await app.create(consent(alice, purpose=purpose))
        assert (await app.get(f"Observation/{part2}", doctor())).status_code == 403  # purpose TREAT
        glass = {**doctor(), "X-Caremesh-Break-Glass": "unresponsive in ED"}
        opened = await app.get(f"Observation/{part2}", glass)
        assert opened.status_code == 200, opened.text
        event = (await app.audit_rows())[-1]
        codes = [p["coding"][0]["code"] for p in event["purposeOfEvent"]]
        assert codes == ["ETREAT", "BTG"]
        assert event["extension"][0]["valueString"] == "unresponsive in ED"


async def test_a_patch_would_show_the_whole_resource_so_it_needs_consent_too(database_url: str) -> None:
    async with running(database_url) as app:
        alice, _, part2 = await record_with_part2(app)
        patch = orjson.dumps([{"op": "replace", "path": "/status", "value": "amended"}])
        headers = {**doctor(), "content-type": "application/json-patch+json"}
        refused = await app.client.patch(f"/fhir/R4/Observation/{part2}", content=patch, headers=headers)
        assert refused.status_code == 403
        stored = await app.get(f"Observation/{part2}", token(kind="service"))  # services are exempt
        assert stored.json()["status"] == "final" and stored.json()["meta"]["versionId"] == "1"
        await app.create(consent(alice))
        patched = await app.client.patch(f"/fhir/R4/Observation/{part2}", content=patch, headers=headers)
        assert patched.status_code == 200, patched.text
