"""A full scenario with canary identifiers: none may reach logs, spans or metrics.

The canaries (name, MRN, SSN, phone, email, birth date) travel in FHIR bodies, search query
strings, a failed write and an invalid search; a scheduling booking runs alongside. Logs go through
the real pipeline (``configure_logging``), spans through the same allow-list processor the
exporters use, and ``/metrics`` is read as a scraper would.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tests.support.asgi import asgi_client

from caremesh.bootstrap import build_runtime
from caremesh.kernel.observability.logging import configure_logging
from caremesh.kernel.observability.span_filter import AllowListSpanProcessor
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

CANARIES = {
    "family": "Zyxwvcanary",
    "given": "Qwertcanary",
    "mrn": "MRN-83920417",
    "ssn": "987-65-4329",
    "phone": "555-0142-8841",
    "email": "canary.patient@example.org",
    "birth": "1953-07-19",
}
FHIR = "/fhir/R4"


def canary_patient() -> dict[str, object]:
    c = CANARIES
    return {
        "resourceType": "Patient",
        "name": [{"family": c["family"], "given": [c["given"]]}],
        "identifier": [
            {"system": "urn:mrn", "value": c["mrn"]},
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": c["ssn"]},
        ],
        "telecom": [{"system": "phone", "value": c["phone"]}, {"system": "email", "value": c["email"]}],
        "birthDate": c["birth"],
    }


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(service="canary-test", version="0", level="DEBUG", stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()
        root.handlers[:], root.level = handlers, level


@pytest.fixture
def captured_spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(AllowListSpanProcessor(SimpleSpanProcessor(exporter)))
    try:
        yield exporter
    finally:
        exporter.shutdown()  # the processor stays registered but no longer keeps spans


async def test_no_canary_reaches_logs_spans_or_metrics(
    database_url: str, captured_logs: io.StringIO, captured_spans: InMemorySpanExporter
) -> None:
    topology = parse(
        {
            "name": "canary",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["clinical", "scheduling"]}},
        }
    )
    token = issue_token(
        subject="dr-canary",
        client_id="canary-app",
        kind="user",
        scopes=["user/*.cruds", "scheduling"],
        extra_claims={"roles": ["clinician"]},
    )
    headers = {"authorization": f"Bearer {token}"}
    async with asgi_client(build_runtime(topology), headers=headers) as client:
        created = await client.post(
            f"{FHIR}/Patient",
            content=orjson.dumps(canary_patient()),
            headers={"content-type": "application/fhir+json"},
        )
        assert created.status_code == 201, created.text
        patient_id = created.json()["id"]
        c = CANARIES
        for query in (
            f"family={c['family']}",
            f"identifier=urn:mrn|{c['mrn']}",
            f"telecom={c['phone']}",
            f"email={c['email']}",
            f"birthdate={c['birth']}",
            f"birthdate={c['family']}",
            f"name:bogus={c['given']}",
        ):
            await client.get(f"{FHIR}/Patient?{query}", headers={"prefer": "handling=strict"})
        assert (await client.get(f"{FHIR}/Patient/{patient_id}")).status_code == 200
        broken = {**canary_patient(), "birthDate": f"{c['ssn']}-{c['family']}"}
        assert (
            await client.post(
                f"{FHIR}/Patient",
                content=orjson.dumps(broken),
                headers={"content-type": "application/fhir+json"},
            )
        ).status_code == 400
        schedule = await client.post(
            "/v1/schedules",
            json={"practitioner_id": "prac-canary", "service_type": "general-practice", "timezone": "UTC"},
        )
        assert schedule.status_code == 201, schedule.text
        start = (datetime.now(UTC) + timedelta(days=30)).date()
        generated = await client.post(
            f"/v1/schedules/{schedule.json()['id']}/slots",
            json={
                "start_date": start.isoformat(),
                "end_date": start.isoformat(),
                "hours": [{"start": "09:00", "end": "10:00"}],
                "slot_minutes": 30,
                "days_of_week": [1, 2, 3, 4, 5, 6, 7],  # whatever weekday "in 30 days" is
            },
        )
        assert generated.status_code == 200, generated.text
        slot = (await client.get("/v1/slots", params={"limit": 1})).json()["items"][0]
        booked = await client.post(
            "/v1/appointments",
            json={"slot_id": slot["id"], "patient_id": patient_id},
            headers={"Idempotency-Key": "canary-booking-1"},
        )
        assert booked.status_code in (200, 201), booked.text
        metrics = (await client.get("/metrics")).text

    logs = captured_logs.getvalue()
    spans = captured_spans.get_finished_spans()
    assert "request handled" in logs and len(spans) >= 10  # the capture itself works
    span_text = orjson.dumps(
        [
            {
                "name": s.name,
                "attributes": dict(s.attributes or {}),
                "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in s.events],
            }
            for s in spans
        ]
    ).decode()
    for kind, value in CANARIES.items():
        for where, text in (("logs", logs), ("spans", span_text), ("metrics", metrics)):
            assert value not in text, f"the {kind} canary leaked into {where}"
            assert value.lower() not in text.lower(), f"the {kind} canary leaked into {where} (case-folded)"
