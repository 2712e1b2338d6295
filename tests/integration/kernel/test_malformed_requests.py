"""Every write route of every module answers malformed requests with a 4xx problem, never a 500."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel import topology
from caremesh.kernel.security.tokens import issue_token
from caremesh.modules import KNOWN_MODULES

BAD_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"{"),
    ("application/json", b"[]"),
    ("application/json", b'{"unexpected": true}'),
    ("application/json", b'{"slot_id": 5, "patient_id": ["x"], "start_date": "yesterday"}'),
    ("application/json", b"\xff\xfe not utf-8"),
    ("text/plain", b"hello"),
    ("application/json", b""),
]


@pytest.fixture
async def runtime(sqlite_url: str) -> AsyncIterator[Runtime]:
    topo = topology.parse(
        {
            "infrastructure": {"database": sqlite_url, "bus": "inprocess"},
            "processes": {"app": {"modules": sorted(KNOWN_MODULES)}},
        }
    )
    rt = build_runtime(topo)
    await rt.open()
    yield rt
    await rt.stop()


def _error_media_types(path: str) -> tuple[str, ...]:
    # FHIR routes answer errors as FHIR does, with an OperationOutcome; a path under the FHIR base
    # that matches no route (a lowercase "type") still gets the app's problem body.
    problem = "application/problem+json"
    return (problem, "application/fhir+json") if path.startswith("/fhir/") else (problem,)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "does-not-exist", path)


async def test_write_routes_never_answer_500(runtime: Runtime) -> None:
    app = build_app(runtime, start_runtime=False)
    routes = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if not path.startswith("/internal/")
        for method in operations
        if method in ("post", "put", "patch")
    ]
    assert routes, "no write routes found"
    token = issue_token(subject="u", client_id="fuzz", kind="user", scopes=[])
    failures: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for method, path in routes:
            for index, (content_type, body) in enumerate(BAD_BODIES):
                response = await client.request(
                    method,
                    _concrete(path),
                    content=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "content-type": content_type,
                        "Idempotency-Key": f"fuzz-{method}-{path}-{index}",
                    },
                )
                if not 400 <= response.status_code < 500:
                    failures.append(f"{method} {path} {body[:20]!r} -> {response.status_code}")
                elif not response.headers["content-type"].startswith(_error_media_types(path)):
                    failures.append(f"{method} {path} {body[:20]!r} -> not a problem body")
    assert not failures, "\n".join(failures)
