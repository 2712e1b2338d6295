"""Drives order entry, pharmacy and billing in one process through their HTTP APIs (imported by tests)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import httpx

from caremesh.bootstrap import Runtime
from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import Topology, parse

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
AMOXICILLIN, WARFARIN, ASPIRIN, METFORMIN = "723", "11289", "1191", "6809"
MODULES = ["clinical", "pharmacy", "billing", "cds"]
DOUBLE = "cds=tests.fault.orders_cds_double"


def real_cds_exists() -> bool:
    return importlib.util.find_spec("caremesh.modules.cds.module") is not None


def topology_for(database_url: str, **orders: Any) -> Topology:
    settings = {"cds_timeout": 0.3, "breaker_threshold": 3, "breaker_cooldown": 0.5, **orders}
    return parse(
        {
            "name": "orders-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": MODULES}},
            "modules": {"clinical": {"orders": settings}, "edge": {"rate_limit": False}},
        }
    )


def bearer(
    role: str = "clinician", subject: str = "prac-orders-0001", client_id: str = "orders-tests"
) -> dict[str, str]:
    token = issue_token(
        subject=subject,
        client_id=client_id,
        kind="user",
        scopes=["user/*.cruds"],
        extra_claims={"roles": [role]},
    )
    return {"authorization": f"Bearer {token}"}


def pharmacist() -> dict[str, str]:
    return bearer("pharmacist", subject="pharm-orders-0001")


def billing() -> dict[str, str]:
    return bearer("billing", subject="billing-orders-0001")


def allergy(patient_id: str, code: str, status: str = "active") -> dict[str, Any]:
    system = "http://terminology.hl7.org/CodeSystem/allergyintolerance-"
    return {
        "resourceType": "AllergyIntolerance",
        "patient": {"reference": f"Patient/{patient_id}"},
        "code": {"coding": [{"system": RXNORM, "code": code}]},
        "clinicalStatus": {"coding": [{"system": system + "clinical", "code": status}]},
        "verificationStatus": {"coding": [{"system": system + "verification", "code": "confirmed"}]},
        "criticality": "high",
    }


def active_medication(patient_id: str, code: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
    }


@dataclass
class OrdersApp:
    client: httpx.AsyncClient
    runtime: Runtime

    async def settle(self) -> None:
        """Publish until every outbox is empty (in-process bus: consumers run while publishing)."""
        idle = 0
        while idle < 2:
            idle = idle + 1 if await self.runtime.drain_outboxes() == 0 else 0

    async def draft(self, patient_id: str, code: str = AMOXICILLIN, **extra: Any) -> dict[str, Any]:
        body = {
            "patient_id": patient_id,
            "encounter_id": extra.pop("encounter_id", "enc-1"),
            "medication": {"code": code},
            "dose": {"value": "500", "unit": "mg"},
            "frequency": "TID",
            "route": "oral",
            "duration_days": 7,
            **extra,
        }
        response = await self.client.post("/v1/medication-orders", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def check(self, order_id: str) -> dict[str, Any]:
        response = await self.client.post(f"/v1/medication-orders/{order_id}/check")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def sign(
        self, order_id: str, key: str | None = None, overrides: list[dict[str, str]] | None = None
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key or new_id()}
        body = {"overrides": overrides or []}
        return await self.client.post(f"/v1/medication-orders/{order_id}/sign", json=body, headers=headers)

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/medication-orders/{order_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def fhir_create(self, resource: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/fhir/R4/{resource['resourceType']}", json=resource)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def pharmacy_entry(self, order_id: str) -> dict[str, Any] | None:
        response = await self.client.get(
            "/v1/pharmacy/queue", params={"order_id": order_id}, headers=pharmacist()
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return dict(items[0]) if items else None

    async def pharmacy(self, entry_id: str, action: str, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"/v1/pharmacy/queue/{entry_id}/{action}", json=body or None, headers=pharmacist()
        )

    async def charges(self, patient_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/v1/billing/charges", params={"patient": patient_id}, headers=billing()
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def count(self, module: str, sql: str, *args: Any) -> int:
        async with self.runtime.contexts[module].db.read() as conn:
            return int(await conn.fetchval(sql, *args))


def order_entry(runtime: Runtime) -> Any:
    """Order entry's use cases on the runtime's clinical database (for driving its worker by hand)."""
    from caremesh.modules.clinical.application.medication_orders_setup import order_entry_deps
    from caremesh.modules.clinical.module import build_engine

    ctx = runtime.contexts["clinical"]
    return order_entry_deps(ctx, build_engine(ctx))
