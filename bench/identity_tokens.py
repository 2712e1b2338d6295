"""Token issuance benchmark: client_credentials tokens per second from the identity module.

Two client authentication methods, password hashing excluded as the issue asks:

* **private_key_jwt** (SMART Backend Services): each request carries a fresh ES384 client
  assertion (signed before timing starts); the server verifies it, records its ``jti`` (replay
  protection) and mints an ES384 access token;
* **client_secret_basic**: the argon2id check of the secret runs once, later requests hit the
  verified-secret cache (``SecretVerifier``).

Every issued token is stored (revocation/introspection), so each request is one signature
verification (or a cache hit), one signature and one or two committed write transactions.
Requests go through the in-process ASGI app with ``--clients`` concurrent clients.

    .venv/bin/python bench/identity_tokens.py [--requests 300] [--clients 4] [--postgres] [OUTPUT.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from typing import Any

import asyncpg
import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.kernel.observability.logging import configure_logging
from caremesh.kernel.topology import parse
from caremesh.modules.identity.application.clients import Registration
from caremesh.modules.identity.module import build

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

ISSUER = "http://localhost:8000"
TOKEN_URL = f"{ISSUER}/identity/token"
POSTGRES = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def assertion(client_id: str, key: ECKey) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "exp": now + 240,
        "iat": now,
        "jti": secrets.token_hex(12),
    }
    return jwt.encode({"alg": "ES384", "kid": key.kid}, claims, key, algorithms=["ES384"])


async def drive(http: httpx.AsyncClient, requests: list[dict[str, Any]], clients: int) -> dict[str, float]:
    """Tokens per second (wall clock) and process CPU per token: on a shared machine the CPU cost
    says what the server can do per core when the other tenants leave it alone."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)

    async def worker() -> None:
        while not queue.empty():
            request = queue.get_nowait()
            auth = request.get("auth")
            if auth is None:
                response = await http.post("/identity/token", data=request["form"])
            else:
                response = await http.post("/identity/token", data=request["form"], auth=auth)
            assert response.status_code == 200, response.text

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"per_s": round(len(requests) / wall, 1), "cpu_ms_per_token": round(1000 * cpu / len(requests), 2)}


async def run(database_url: str, count: int, clients: int) -> dict[str, dict[str, float]]:
    topology = parse(
        {
            "name": "bench-identity",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["identity"]}},
            "modules": {"identity": {"issuer": ISSUER}},
        }
    )
    runtime = build_runtime(topology)
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        deps = build(runtime.contexts["identity"]).deps
        key = ECKey.generate_key("P-384", parameters={"alg": "ES384"}, auto_kid=True)
        keyed = await deps.clients.register(
            Registration("bench-jwt", "system/*.rs", "backend", {"keys": [key.as_dict(private=False)]})
        )
        basic = await deps.clients.register(Registration("bench-basic", "system/*.rs"))
        assert basic.client_secret is not None
        jwt_requests = [
            {
                "form": {
                    "grant_type": "client_credentials",
                    "scope": "system/*.rs",
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": assertion(keyed.client_id, key),
                }
            }
            for _ in range(count)
        ]
        basic_requests = [
            {"form": {"grant_type": "client_credentials"}, "auth": (basic.client_id, basic.client_secret)}
            for _ in range(count)
        ]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER) as http:
            await drive(http, basic_requests[:2], 1)  # warm up: keys loaded, secret verified once
            return {
                "private_key_jwt": await drive(http, jwt_requests, clients),
                "client_secret_basic_cached": await drive(http, basic_requests, clients),
            }
    finally:
        await runtime.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    args = parser.parse_args()
    os.environ.setdefault("CAREMESH_SECRET", "bench-secret-not-for-production-0123456789")
    configure_logging(service="bench", version="0", level="WARNING")
    results: dict[str, Any] = {"requests": args.requests, "clients": args.clients}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("CAREMESH_VAR_DIR", tmp)
        results["sqlite"] = await run(f"sqlite:///{tmp}", args.requests, args.clients)
    if args.postgres:
        name = f"caremesh_bench_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            results["postgres"] = await run(
                POSTGRES.rsplit("/", 1)[0] + f"/{name}", args.requests, args.clients
            )
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    print(json.dumps(results, indent=2))
    if args.output:
        with open(args.output, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
