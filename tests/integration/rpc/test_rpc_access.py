"""The RPC endpoint admits only caremesh services, and only to the methods of the contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Protocol

import httpx
import pytest
from rpc_server import ServerThread
from rpc_vitals import VitalsAPI, VitalsFacade

from caremesh.contracts.base import query
from caremesh.kernel.errors import DependencyUnavailable
from caremesh.kernel.rpc import RemoteClient
from caremesh.kernel.rpc.credentials import ServiceCredentials
from caremesh.kernel.security.tokens import issue_token, verify_token


def token(kind: str) -> dict[str, str]:
    bearer = issue_token(subject=f"{kind}-1", client_id="tests", kind=kind, scopes=[])
    return {"authorization": f"Bearer {bearer}"}


@pytest.fixture
async def http(server: ServerThread) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        yield client


async def test_no_token_is_401(http: httpx.AsyncClient, facade: VitalsFacade) -> None:
    response = await http.post("/internal/rpc/vitals/get_vital", json={"vital_id": "v1"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "unauthorized"
    assert sum(facade.calls.values()) == 0


@pytest.mark.parametrize("kind", ["user", "client"])
async def test_a_token_that_is_not_a_service_token_is_403(
    http: httpx.AsyncClient, facade: VitalsFacade, kind: str
) -> None:
    response = await http.post("/internal/rpc/vitals/get_vital", json={"vital_id": "v1"}, headers=token(kind))
    assert response.status_code == 403
    assert sum(facade.calls.values()) == 0


async def test_a_service_token_is_admitted(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/internal/rpc/vitals/get_vital", json={"vital_id": "v1"}, headers=token("service")
    )
    assert response.status_code == 200
    assert response.json() is None


@pytest.mark.parametrize(
    "path",
    [
        "/internal/rpc/vitals/no_such_method",
        "/internal/rpc/vitals/reset",  # public on the facade, but not in the contract
        "/internal/rpc/vitals/_wipe",
        "/internal/rpc/vitals/_enter",
        "/internal/rpc/vitals/__init__",
        "/internal/rpc/vitals/__class__",
        "/internal/rpc/billing/get_vital",
    ],
)
async def test_anything_but_a_contract_method_is_404(
    http: httpx.AsyncClient, facade: VitalsFacade, path: str
) -> None:
    facade.vitals["kept"] = object()  # type: ignore[assignment]
    response = await http.post(path, json={}, headers=token("service"))
    assert response.status_code == 404
    assert response.json()["rpc_error"] == "unknown-operation"
    assert "kept" in facade.vitals


async def test_arguments_are_validated_against_the_contract(
    http: httpx.AsyncClient, facade: VitalsFacade
) -> None:
    service = token("service")
    wrong_type = await http.post("/internal/rpc/vitals/get_vital", json={"vital_id": 5}, headers=service)
    assert wrong_type.status_code == 422
    assert wrong_type.json()["errors"] == [
        {"location": "vital_id", "message": "Input should be a valid string"}
    ]
    extra = await http.post(
        "/internal/rpc/vitals/get_vital", json={"vital_id": "v1", "admin": True}, headers=service
    )
    assert extra.status_code == 422
    missing = await http.post("/internal/rpc/vitals/get_vital", json={}, headers=service)
    assert missing.status_code == 422
    not_an_object = await http.post("/internal/rpc/vitals/get_vital", json=["v1"], headers=service)
    assert not_an_object.status_code == 422
    malformed = await http.post("/internal/rpc/vitals/get_vital", content=b"{vital_id:", headers=service)
    assert malformed.status_code == 400
    assert sum(facade.calls.values()) == 0


async def test_validation_errors_do_not_echo_the_input(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/internal/rpc/vitals/record_vital",
        json={"patient_id": "pat-1", "code": "8867-4", "value": "Jane Doe", "unit": "/min",
              "taken_at": "2026-03-01T08:30:00Z"},
        headers=token("service"),
    )
    assert response.status_code == 422
    assert "Jane Doe" not in response.text


async def test_only_post_is_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/internal/rpc/vitals/get_vital", headers=token("service"))
    assert response.status_code == 405


class VitalsV2API(VitalsAPI, Protocol):
    """A newer contract than the server runs: the caller knows a method the provider does not."""

    @query
    async def get_trend(self, patient_id: str, code: str) -> list[float]: ...


async def test_a_method_the_provider_lacks_is_a_dependency_failure(server: ServerThread) -> None:
    client = RemoteClient(VitalsV2API, server.base_url, "test-caller")
    try:
        with pytest.raises(DependencyUnavailable) as failure:
            await client.get_trend("pat-1", "8867-4")
        assert failure.value.details["reason"] == "unknown-operation"
        assert await client.get_vital("v1") is None
    finally:
        await client.aclose()


async def test_a_refused_token_is_reported_then_renewed(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = RemoteClient(VitalsAPI, server.base_url, "test-caller")
    try:
        assert await client.get_vital("v1") is None
        monkeypatch.setenv("CAREMESH_SECRET", "the-secret-was-rotated-0123456789abcdef")
        with pytest.raises(DependencyUnavailable) as failure:
            await client.get_vital("v1")
        assert failure.value.details["reason"] == "credentials-rejected"
        assert await client.get_vital("v1") is None
    finally:
        await client.aclose()


def test_the_client_presents_a_short_lived_service_token() -> None:
    credentials = ServiceCredentials("portal", lifetime=timedelta(minutes=5))
    header = credentials.authorization()
    assert credentials.authorization() is header  # reused, not re-signed per call
    claims = verify_token(header.removeprefix("Bearer "))
    assert (claims.kind, claims.subject, claims.client_id) == ("service", "service:portal", "portal")
    assert claims.raw["exp"] - claims.raw["iat"] == 300
