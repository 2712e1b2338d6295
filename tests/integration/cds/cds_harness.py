"""Helpers for the cds integration tests: a runtime with the cds module, and CDS Hooks request bodies."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import uvicorn
from fastapi import FastAPI

from caremesh.bootstrap import Runtime
from caremesh.contracts.cds import CdsAPI
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import Topology, parse

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SCT = "http://snomed.info/sct"
PATIENT = "pat-cds-0001"


@dataclass
class CdsApp:
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def api(self) -> CdsAPI:
        return self.runtime.services.client(CdsAPI)

    async def scalar(self, sql: str, *args: object) -> object:
        async with self.runtime.contexts["cds"].db.read() as conn:
            return await conn.fetchval(sql, *args)


def topology_for(database_url: str) -> Topology:
    return parse(
        {
            "name": "cds-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["cds"]}},
        }
    )


def bearer(subject: str = "prac-cds-0001") -> dict[str, str]:
    token = issue_token(subject=subject, client_id="cds-tests", kind="user", scopes=["cds"])
    return {"authorization": f"Bearer {token}"}


def med(
    order_id: str,
    rxcui: str,
    display: str,
    *,
    status: str = "active",
    dose: tuple[float, str, int] | None = None,  # (value, unit, times per day)
    patient: str = PATIENT,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxcui, "display": display}]},
    }
    if dose is not None:
        value, unit, per_day = dose
        resource["dosageInstruction"] = [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": value, "unit": unit, "code": unit}}],
            }
        ]
    return resource


def allergy(
    code: str,
    display: str,
    *,
    system: str = SCT,
    criticality: str | None = None,
    verification: str = "confirmed",
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": f"al-{code}",
        "patient": {"reference": f"Patient/{PATIENT}"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": verification}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}]},
    }
    if criticality:
        resource["criticality"] = criticality
    return resource


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def hook_body(
    hook: str,
    drafts: list[dict[str, Any]],
    *,
    active: list[dict[str, Any]] | None = None,
    allergies: list[dict[str, Any]] | None = None,
    encounter: str | None = "enc-cds-0001",
    selections: list[str] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "userId": "Practitioner/prac-cds-0001",
        "patientId": PATIENT,
        "draftOrders": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": d} for d in drafts],
        },
    }
    if encounter:
        context["encounterId"] = encounter
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{drafts[0]['id']}"]
    return {
        "hook": hook,
        "hookInstance": str(uuid4()),
        "context": context,
        "prefetch": {"medications": bundle(*(active or [])), "allergies": bundle(*(allergies or []))},
    }


class ServerThread:
    """uvicorn on its own thread and loop, running the app's lifespan (so the runtime starts there)."""

    def __init__(self, app: FastAPI) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(app, loop="asyncio", log_config=None, access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the cds test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
