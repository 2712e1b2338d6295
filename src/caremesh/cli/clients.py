"""``caremesh clients``: register OAuth clients (SMART apps, Backend Services, caremesh services)
and rotate the authorization server's signing key."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from caremesh.bootstrap import build_runtime
from caremesh.cli.common import TopologyOption, console, load_topology, run
from caremesh.kernel.topology import Topology
from caremesh.modules.identity.application.clients import InvalidRegistration, Registration
from caremesh.modules.identity.application.server import ServerDeps
from caremesh.modules.identity.module import build

app = typer.Typer(help="OAuth clients of the identity module (SMART on FHIR).", no_args_is_help=True)


@asynccontextmanager
async def identity_services(topology: Topology) -> AsyncIterator[ServerDeps]:
    """The identity module's services over its database (migrated), for operations."""
    if "identity" not in topology.modules:
        console.print(f"[red]topology {topology.name} does not run the identity module[/red]")
        raise typer.Exit(2)
    runtime = build_runtime(topology, modules=["identity"])
    await runtime.open()
    try:
        yield build(runtime.contexts["identity"]).deps
    finally:
        await runtime.stop()


def _read_jwks(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        console.print(f"[red]cannot read a JWKS from {path}: {type(exc).__name__}[/red]")
        raise typer.Exit(2) from exc
    return data if isinstance(data, dict) and "keys" in data else {"keys": [data]}


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="A name for people (shown on the consent page).")],
    scope: Annotated[str, typer.Option(help="Scopes the client may be granted, e.g. 'system/*.rs'.")],
    jwks: Annotated[
        Path | None, typer.Option(help="Public JWKS file: authenticate with private_key_jwt.")
    ] = None,
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="Redirect URI of a SMART app (repeatable).")
    ] = None,
    kind: Annotated[str, typer.Option(help="backend, app (user-facing SMART app) or service.")] = "",
    public: Annotated[bool, typer.Option(help="A SMART app that cannot keep a secret (PKCE only).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the credentials as JSON.")] = False,
    topology: TopologyOption = None,
) -> None:
    """Register a confidential client (client_secret_basic, or private_key_jwt with --jwks)."""
    topo = load_topology(topology)
    uris = tuple(redirect_uri or ())
    registration = Registration(
        name, scope, kind or ("app" if uris else "backend"), _read_jwks(jwks), uris, public
    )

    async def main() -> Any:
        async with identity_services(topo) as deps:
            return await deps.clients.register(registration)

    try:
        created = run(main)
    except InvalidRegistration as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    body = {
        "client_id": created.client_id,
        "client_secret": created.client_secret,
        "token_endpoint_auth_method": created.auth_method,
        "scope": created.scope,
        "kind": created.kind,
    }
    if as_json:
        typer.echo(json.dumps(body))
        return
    console.print(f"client_id      {created.client_id}")
    if created.client_secret:
        console.print(f"client_secret  {created.client_secret}   (shown once; store it now)")
    console.print(f"auth method    {created.auth_method}\nscope          {created.scope}")


@app.command("rotate-signing-key")
def rotate_command(topology: TopologyOption = None) -> None:
    """Sign new tokens with a new key; the old key stays in the JWKS until its tokens expired."""
    topo = load_topology(topology)

    async def main() -> tuple[str, list[str]]:
        async with identity_services(topo) as deps:
            await deps.ring.ready()
            kid = await deps.ring.rotate()
            return kid, [str(key["kid"]) for key in deps.ring.jwks()["keys"]]

    kid, published = run(main)
    console.print(f"active key     {kid}\npublished      {', '.join(published)}")
