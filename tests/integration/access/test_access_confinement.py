"""Patient-context confinement: a patient sees only their compartment, and cannot tell what exists."""

from __future__ import annotations

import orjson
from access_harness import FULL, ids, observation_body, patient_body, running, token


async def test_patient_reads_own_data_and_gets_identical_refusals_for_others(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        bob = await app.create(patient_body("Bravo"))
        alice_obs = await app.create(observation_body(alice))
        bob_obs = await app.create(observation_body(bob))
        as_alice = token(["patient/*.rs"], roles=["patient"], patient=alice, subject="patient-alice")

        own = await app.get(f"Observation/{alice_obs}", as_alice)
        assert own.status_code == 200, own.text

        other = await app.get(f"Observation/{bob_obs}", as_alice)
        missing = await app.get("Observation/does-not-exist", as_alice)
        assert other.status_code == missing.status_code == 403
        assert other.content == missing.content
        assert other.headers["content-type"].startswith("application/fhir+json")
        assert (await app.get(f"Patient/{bob}", as_alice)).content == missing.content

        search = await app.get("Observation", as_alice)
        assert search.status_code == 200
        assert ids(search.json()) == [f"Observation/{alice_obs}"]
        trimmed = (await app.get("Observation?_elements=status", as_alice)).json()  # no subject left
        assert ids(trimmed) == [f"Observation/{alice_obs}"]
        everything_other = await app.get(f"Patient/{bob}/$everything", as_alice)
        assert everything_other.status_code == 403
        everything_own = (await app.get(f"Patient/{alice}/$everything", as_alice)).json()
        assert ids(everything_own) == sorted([f"Patient/{alice}", f"Observation/{alice_obs}"])

        clinician = token(FULL, roles=["clinician"])
        all_obs = (await app.get("Observation", clinician)).json()
        assert ids(all_obs) == sorted([f"Observation/{alice_obs}", f"Observation/{bob_obs}"])


async def test_includes_history_and_system_search_stay_in_the_compartment(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        bob = await app.create(patient_body("Bravo"))
        alice_obs = await app.create(observation_body(alice))
        # Bob's observation names Alice as performer: it is in both compartments (per the spec).
        shared = await app.create(observation_body(bob, performer=[{"reference": f"Patient/{alice}"}]))
        bob_only = await app.create(observation_body(bob))
        as_bob = token(["patient/*.rs"], roles=["patient"], patient=bob, subject="patient-bob")

        included = (await app.get(f"Observation?_include=Observation:performer&_id={shared}", as_bob)).json()
        assert ids(included) == [f"Observation/{shared}"]  # Alice, the performer, is dropped
        rev = (await app.get("Patient?_revinclude=Observation:subject", as_bob)).json()
        assert ids(rev) == sorted([f"Patient/{bob}", f"Observation/{shared}", f"Observation/{bob_only}"])
        system = (await app.get("?_type=Observation,Patient", as_bob)).json()
        assert f"Observation/{alice_obs}" not in ids(system) and f"Patient/{alice}" not in ids(system)

        history = (await app.get("Observation/_history", as_bob)).json()
        seen = {e["resource"]["id"] for e in history["entry"]}
        assert seen == {shared, bob_only}
        other = await app.get(f"Observation/{alice_obs}/_history", as_bob)
        never = await app.get("Observation/nope/_history", as_bob)
        assert other.status_code == never.status_code == 403 and other.content == never.content
        compartment = await app.get(f"Patient/{alice}/Observation", as_bob)
        assert compartment.status_code == 403


async def test_a_patient_writes_only_into_their_own_compartment(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        bob = await app.create(patient_body("Bravo"))
        bob_obs = await app.create(observation_body(bob))
        as_alice = token(["patient/*.cruds"], roles=["patient"], patient=alice, subject="patient-alice")

        own = await app.post("Observation", observation_body(alice), as_alice)
        assert own.status_code == 201
        forged = await app.post("Observation", observation_body(bob), as_alice)
        assert forged.status_code == 403
        hijack = await app.put(f"Observation/{bob_obs}", {**observation_body(alice), "id": bob_obs}, as_alice)
        assert hijack.status_code == 403
        moved = await app.put(
            f"Observation/{own.json()['id']}", {**observation_body(bob), "id": own.json()["id"]}, as_alice
        )
        assert moved.status_code == 403
        assert (
            await app.delete(f"Observation/{bob_obs}", as_alice)
        ).status_code == 403  # no 'd' for patients
        probe = await app.client.post(
            "/fhir/R4/Observation",
            content=orjson.dumps(observation_body(alice)),
            headers={"content-type": "application/fhir+json", "if-none-exist": f"_id={bob_obs}", **as_alice},
        )
        assert probe.status_code == 403  # a conditional create would reveal a match elsewhere
        condition = {
            "resourceType": "Condition",
            "subject": {"reference": f"Patient/{alice}"},
            "code": {"text": "x"},
        }
        assert (await app.post("Condition", condition, as_alice)).status_code == 403  # role: read only

        batch = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"resource": observation_body(bob), "request": {"method": "POST", "url": "Observation"}}
            ],
        }
        assert (await app.bundle(batch, as_alice)).status_code == 403
        mine = {
            **batch,
            "entry": [
                {"resource": observation_body(alice), "request": {"method": "POST", "url": "Observation"}}
            ],
        }
        assert (await app.bundle(mine, as_alice)).status_code == 200
        reads = {
            **batch,
            "type": "batch",
            "entry": [{"request": {"method": "GET", "url": f"Observation/{bob_obs}"}}],
        }
        assert (await app.bundle(reads, as_alice)).status_code == 403
        bob_now = (await app.get(f"Observation/{bob_obs}", token())).json()
        assert bob_now["subject"]["reference"] == f"Patient/{bob}"


async def test_granular_category_scopes_filter_reads_and_searches(database_url: str) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        vitals = await app.create(observation_body(alice, "vital-signs"))
        lab = await app.create(observation_body(alice, "laboratory"))
        granular = token(["user/Observation.rs?category=vital-signs", "user/Patient.rs"])
        found = (await app.get(f"Observation?subject=Patient/{alice}", granular)).json()
        assert ids(found) == [f"Observation/{vitals}"] and found.get("total", 1) == 1
        assert (await app.get(f"Observation/{vitals}", granular)).status_code == 200
        hidden = await app.get(f"Observation/{lab}", granular)
        missing = await app.get("Observation/nope", granular)
        assert hidden.status_code == missing.status_code == 403 and hidden.content == missing.content
        everything = (await app.get(f"Patient/{alice}/$everything", {**granular})).json()
        assert ids(everything) == sorted([f"Patient/{alice}", f"Observation/{vitals}"])
        two_params = token(["user/Observation.rs?category=vital-signs&code=8867-4", "user/Patient.rs"])
        counted = (await app.get(f"Observation?subject=Patient/{alice}&_total=accurate", two_params)).json()
        assert ids(counted) == [f"Observation/{vitals}"] and "total" not in counted
        deselected = token(["user/Patient.rs"])
        assert (await app.get(f"Observation/{vitals}", deselected)).status_code == 403
        assert (await app.get("Observation", deselected)).status_code == 403
        assert (await app.get("Observation", {})).status_code == 401
