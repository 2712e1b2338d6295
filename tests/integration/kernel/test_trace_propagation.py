"""W3C trace context flows from an HTTP request into the event it causes and on into its consumer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel import topology
from caremesh.kernel.security.tokens import issue_token

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[union-attr]
    return exporter


@pytest.fixture
async def runtime(sqlite_url: str) -> AsyncIterator[Runtime]:
    topo = topology.parse(
        {
            "infrastructure": {"database": sqlite_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["scheduling", "notify"]}},
        }
    )
    rt = build_runtime(topo)
    await rt.open()
    await rt.start_background(workers=False)
    yield rt
    await rt.stop()


async def _book(client: httpx.AsyncClient) -> None:
    schedule = (
        await client.post(
            "/v1/schedules", json={"practitioner_id": "prac-t", "service_type": "gp", "timezone": "UTC"}
        )
    ).json()
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    await client.post(
        f"/v1/schedules/{schedule['id']}/slots",
        json={
            "start_date": day,
            "end_date": day,
            "days_of_week": [1, 2, 3, 4, 5, 6, 7],
            "hours": [{"start": "09:00", "end": "10:00"}],
            "slot_minutes": 30,
        },
    )
    slot = (await client.get("/v1/slots", params={"schedule_id": schedule["id"], "limit": 1})).json()[
        "items"
    ][0]
    booked = await client.post(
        "/v1/appointments",
        json={"slot_id": slot["id"], "patient_id": "pat-trace-1"},
        headers={"Idempotency-Key": str(uuid.uuid4()), "traceparent": TRACEPARENT},
    )
    assert booked.status_code == 201, booked.text


async def test_trace_id_survives_http_outbox_and_consumer(
    runtime: Runtime, spans: InMemorySpanExporter
) -> None:
    token = issue_token(subject="u", client_id="c", kind="user", scopes=[])
    app = build_app(runtime, start_runtime=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        await _book(client)
    await runtime.drain_outboxes()

    async with runtime.databases["scheduling"].read() as conn:
        bodies = [
            r[0]
            for r in await conn.fetch(
                "SELECT body FROM outbox WHERE event_type = $1", "scheduling.AppointmentBooked"
            )
        ]
    [envelope] = [orjson.loads(b) for b in bodies]
    assert TRACE_ID in envelope["headers"]["traceparent"]

    finished = spans.get_finished_spans()
    server = [s for s in finished if s.name == "POST /v1/appointments"]
    consumer = [s for s in finished if s.name == "consume scheduling.AppointmentBooked"]
    assert server and format(server[-1].context.trace_id, "032x") == TRACE_ID
    assert consumer and format(consumer[-1].context.trace_id, "032x") == TRACE_ID
