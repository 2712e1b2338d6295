"""SMART's fhirclient against a real server process: create, read, search, update, paging.

fhirclient is synchronous (requests): these tests are plain functions, so nothing blocks an event
loop; the server is another process.
"""

from __future__ import annotations

import secrets

import pytest
from fhirclient import client
from fhirclient.models.fhirsearch import FHIRSearch
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRServer
from interop_server import FhirServer


@pytest.fixture
def smart(server: FhirServer) -> FHIRServer:
    settings = {"app_id": "caremesh-interop", "api_base": server.base + "/"}
    connection = client.FHIRClient(settings=settings)
    connection.server.session.headers["Authorization"] = server.auth_header
    return connection.server


def _created(resource: Patient | Observation, smart: FHIRServer) -> str:
    # fhirclient returns the server's JSON from create() without setting the id on the model.
    answer = resource.create(smart)
    assert isinstance(answer, dict) and answer["meta"]["versionId"] == "1", answer
    return str(answer["id"])


def test_create_read_update(smart: FHIRServer) -> None:
    family = f"Smart{secrets.token_hex(4)}"
    pid = _created(Patient({"name": [{"family": family, "given": ["Grace"]}], "gender": "female"}), smart)

    read = Patient.read(pid, smart)
    assert read.id == pid and read.name[0].family == family and read.gender == "female"
    assert read.meta.versionId == "1"

    read.gender = "other"
    updated = read.update(smart)
    assert updated["meta"]["versionId"] == "2"
    again = Patient.read(pid, smart)
    assert again.gender == "other" and again.meta.versionId == "2"


def test_search_with_where(smart: FHIRServer) -> None:
    family = f"Smart{secrets.token_hex(4)}"
    pid = _created(
        Patient({"name": [{"family": family, "given": ["Alan"]}], "birthDate": "1912-06-23"}), smart
    )
    _created(Patient({"name": [{"family": family, "given": ["Joan"]}], "birthDate": "1917-06-24"}), smart)
    observation = Observation({
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
    })  # fmt: skip
    oid = _created(observation, smart)

    found = Patient.where(struct={"family": family, "given": "alan"}).perform_resources_iter(smart)
    assert [p.id for p in found] == [pid]
    born_before = Patient.where(struct={"family": family, "birthdate": "lt1915"}).perform_resources_iter(
        smart
    )
    assert [p.id for p in born_before] == [pid]
    by_subject = Observation.where(struct={"subject": f"Patient/{pid}", "code": "http://loinc.org|8867-4"})
    assert [o.id for o in by_subject.perform_resources_iter(smart)] == [oid]


def test_paging_follows_next_links(smart: FHIRServer) -> None:
    family = f"Smart{secrets.token_hex(4)}"
    ids = {_created(Patient({"name": [{"family": family, "given": [f"N{n}"]}]}), smart) for n in range(12)}
    search: FHIRSearch = Patient.where(struct={"family": family, "_count": "5"})

    pages = list(search.perform_iter(smart))
    assert [len(page.entry or []) for page in pages] == [5, 5, 2]
    assert {p.id for p in search.perform_resources_iter(smart)} == ids
