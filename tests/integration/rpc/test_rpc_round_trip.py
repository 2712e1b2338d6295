"""Calls over real HTTP behave like the in-process call: typed values in and out, errors by class."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from rpc_server import ServerThread
from rpc_vitals import CallSeen, Vital, VitalsAPI, VitalsFacade

from caremesh.kernel.errors import Conflict, InvalidRequest, NotFound
from caremesh.kernel.rpc import RemoteClient, remote_client_factory
from caremesh.kernel.services import ServiceDirectory
from caremesh.kernel.topology import parse

TAKEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


async def record(client: Any, minutes: int = 0, value: float = 72.0) -> Vital:
    return await client.record_vital(
        "pat-1", "8867-4", value, "/min", TAKEN + timedelta(minutes=minutes)
    )


async def test_values_cross_the_wire_with_their_types(remote: Callable[..., Any]) -> None:
    client = remote()
    recorded = await record(client)
    assert isinstance(recorded, Vital)
    assert recorded.taken_at == TAKEN and recorded.taken_at.tzinfo is not None

    fetched = await client.get_vital(recorded.id)
    assert fetched == recorded

    await record(client, minutes=10, value=80.0)
    listed = await client.list_vitals("pat-1", since=TAKEN + timedelta(minutes=5))
    assert [v.value for v in listed] == [80.0]
    assert [v.value for v in await client.list_vitals(patient_id="pat-1", limit=1)] == [72.0]
    assert await client.latest_value("pat-1", "8867-4") == 80.0


async def test_absent_results_come_back_as_none(remote: Callable[..., Any], facade: VitalsFacade) -> None:
    client = remote()
    assert await client.get_vital("no-such-vital") is None
    recorded = await record(client)
    assert await client.discard_vital(recorded.id) is None
    assert facade.vitals == {}


async def test_kernel_errors_come_back_as_the_same_class(remote: Callable[..., Any]) -> None:
    client = remote()
    first = await record(client)
    with pytest.raises(Conflict) as duplicate:
        await record(client)
    assert duplicate.value.details == {"vital_id": first.id}
    with pytest.raises(NotFound) as missing:
        await client.latest_value("pat-2", "8310-5")
    assert missing.value.message == "no such vital sign"
    assert missing.value.details == {"code": "8310-5"}


async def test_bad_arguments_are_refused_before_anything_is_sent(
    remote: Callable[..., Any], facade: VitalsFacade
) -> None:
    client = remote()
    with pytest.raises(InvalidRequest, match="taken_at"):
        await client.record_vital("pat-1", "8867-4", 72.0, "/min", taken_at="yesterday")
    with pytest.raises(TypeError):
        await client.get_vital("v1", include_deleted=True)
    assert sum(facade.calls.values()) == 0


async def test_only_contract_methods_exist_on_the_client(remote: Callable[..., Any]) -> None:
    client = remote()
    with pytest.raises(AttributeError):
        _ = client.reset
    with pytest.raises(AttributeError):
        _ = client._wipe


async def test_request_id_and_trace_context_reach_the_provider(remote: Callable[..., Any]) -> None:
    client = remote()
    trace_id = 0x4BF92F3577B34DA6A3CE929D0E0E4736
    parent = SpanContext(trace_id=trace_id, span_id=0x00F067AA0BA902B7, is_remote=False,
                         trace_flags=TraceFlags(TraceFlags.SAMPLED))
    structlog.contextvars.bind_contextvars(request_id="req-rpc-0001")
    try:
        with trace.use_span(NonRecordingSpan(parent)):
            seen = await client.call_seen()
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    assert seen == CallSeen(request_id="req-rpc-0001", trace_id=format(trace_id, "032x"))


async def test_the_topology_decides_where_a_call_goes(server: ServerThread) -> None:
    port = int(server.base_url.rsplit(":", 1)[1])
    topology = parse({
        "name": "rpc-test",
        "infrastructure": {"database": "sqlite:///unused", "bus": "nats://127.0.0.1:4222"},
        "processes": {"portal": {"modules": []}, "vitals": {"port": port, "modules": ["vitals"]}},
        "modules": {"vitals": {"resilience": {"attempts": 1, "timeout": 0.5}}},
    })
    directory = ServiceDirectory(remote_factory=remote_client_factory(topology, caller="portal"))
    try:
        assert await directory.client(VitalsAPI).get_vital("none") is None  # type: ignore[type-abstract]
        resolved = directory.resolve(VitalsAPI)  # type: ignore[type-abstract]
        assert isinstance(resolved, RemoteClient)
        assert resolved.guard.policy.attempts == 1 and resolved.guard.policy.timeout == 0.5
    finally:
        await directory.close()
