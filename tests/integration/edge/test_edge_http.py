"""The edge of a real caremesh process: headers, rate limits, body bounds, CORS (ASGI, in-process)."""

from __future__ import annotations

import httpx
from edge_harness import bearer, create_schedule, edge_client

PROBLEM = "application/problem+json"
TIGHT = {"client_rate": 0.5, "client_burst": 3, "anonymous_rate": 0.5, "anonymous_burst": 2}


async def test_api_responses_carry_the_security_headers(sqlite_url: str) -> None:
    async with edge_client(sqlite_url, {}) as client:
        response = await create_schedule(client, bearer())
    assert response.status_code == 201, response.text
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # plain http: HSTS would be ignored anyway


async def test_hsts_is_sent_over_tls_and_html_gets_the_strict_page_policy(sqlite_url: str) -> None:
    async with edge_client(sqlite_url, {"hsts_max_age": 600}, base_url="https://edge.test") as client:
        api = await client.get("/health")
        docs = await client.get("/docs")
    assert api.headers["strict-transport-security"] == "max-age=600; includeSubDomains"
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert "object-src 'none'" in docs.headers["content-security-policy"]


async def test_a_client_past_its_burst_gets_429_with_retry_after_and_ratelimit_fields(
    sqlite_url: str,
) -> None:
    alice, bob = bearer("user-edge-alice"), bearer("user-edge-bob")
    async with edge_client(sqlite_url, TIGHT) as client:
        params = {"schedule_id": "s1"}
        allowed = [await client.get("/v1/slots", headers=alice, params=params) for _ in range(3)]
        refused = await client.get("/v1/slots", headers=alice, params={"schedule_id": "s1"})
        other_client = await client.get("/v1/slots", headers=bob, params={"schedule_id": "s1"})
        health = [await client.get("/health") for _ in range(5)]
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r.headers["ratelimit"] for r in allowed] == [
        '"client";r=2;t=2',
        '"client";r=1;t=4',
        '"client";r=0;t=6',
    ]
    assert allowed[0].headers["ratelimit-policy"] == '"client";q=3;w=6'
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["title"] == "too-many-requests"
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["ratelimit"] == '"client";r=0;t=6'
    assert refused.headers["x-content-type-options"] == "nosniff"  # refusals get the headers too
    assert "x-request-id" in refused.headers  # ...and pass through observability
    assert other_client.status_code == 200  # buckets are per credential
    assert all(r.status_code == 200 for r in health)  # health checks are never throttled


async def test_requests_without_a_token_share_their_address_bucket(sqlite_url: str) -> None:
    async with edge_client(sqlite_url, TIGHT) as client:
        statuses = [(await client.get("/v1/slots")).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


async def test_rate_limiting_can_be_switched_off(sqlite_url: str) -> None:
    async with edge_client(sqlite_url, {**TIGHT, "rate_limit": False}) as client:
        statuses = {(await client.get("/v1/slots")).status_code for _ in range(5)}
    assert statuses == {401}


async def test_a_declared_body_over_the_bound_is_refused_before_it_is_read(sqlite_url: str) -> None:
    async with edge_client(sqlite_url, {"max_body_bytes": 1024}) as client:
        big = await client.post("/v1/schedules", content=b"x" * 2048, headers=bearer())
        small = await create_schedule(client, bearer())
    assert big.status_code == 413
    assert big.headers["content-type"] == PROBLEM
    assert big.json()["title"] == "payload-too-large"
    assert small.status_code == 201


async def test_a_streamed_body_is_cut_off_at_the_bound(sqlite_url: str) -> None:
    async def chunks():  # no Content-Length: the edge must count
        for _ in range(8):
            yield b'{"padding": "' + b"y" * 500 + b'"}'

    async with edge_client(sqlite_url, {"max_body_bytes": 1024}) as client:
        response = await client.post("/v1/schedules", content=chunks(), headers=bearer())
    assert response.status_code == 413
    assert response.json()["status"] == 413


async def test_cors_answers_registered_origins_only(sqlite_url: str) -> None:
    app_origin, evil = "https://app.example.org", "https://evil.example.net"
    preflight = {"access-control-request-method": "GET", "access-control-request-headers": "authorization"}
    async with edge_client(sqlite_url, {"cors_allowed_origins": [app_origin]}) as client:
        ok = await client.options("/v1/slots", headers={"origin": app_origin, **preflight})
        denied = await client.options("/v1/slots", headers={"origin": evil, **preflight})
        simple = await client.get(
            "/v1/slots", params={"schedule_id": "s1"}, headers={"origin": app_origin, **bearer()}
        )
        foreign = await client.get(
            "/v1/slots", params={"schedule_id": "s1"}, headers={"origin": evil, **bearer()}
        )
        late = "https://late.example.org"
        client.app.state.allowed_origins.register_source(lambda: {late})  # type: ignore[attr-defined]
        registered_later = await client.options("/v1/slots", headers={"origin": late, **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == app_origin
    assert "authorization" in ok.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in ok.headers
    assert denied.status_code == 400 and "access-control-allow-origin" not in denied.headers
    assert simple.headers["access-control-allow-origin"] == app_origin
    assert "retry-after" in simple.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in foreign.headers
    assert registered_later.headers["access-control-allow-origin"] == late


async def test_fhir_paths_are_refused_with_an_operation_outcome(sqlite_url: str) -> None:
    edge = {**TIGHT, "max_body_bytes": 1024}
    async with edge_client(sqlite_url, edge, modules=("clinical",)) as client:
        too_big = await client.post(
            "/fhir/R4/Patient", content=b"{" + b" " * 4096 + b"}", headers=bearer("user-edge-fhir")
        )
        throttled: httpx.Response | None = None
        for _ in range(5):
            throttled = await client.get("/fhir/R4/metadata")
    assert too_big.status_code == 413
    assert too_big.json()["resourceType"] == "OperationOutcome"
    assert too_big.json()["issue"][0]["code"] == "too-long"
    assert throttled is not None and throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/fhir+json"
    assert throttled.json()["issue"][0]["code"] == "throttled"
