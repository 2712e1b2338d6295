"""The ``caremesh`` command."""

from __future__ import annotations

import os

import typer

from caremesh import __version__
from caremesh.cli import audit, clients, data, deid, devices, events, fhir, serve, users
from caremesh.kernel.observability.logging import configure_logging

app = typer.Typer(help="caremesh: run, migrate and operate the platform.", no_args_is_help=True)


@app.callback()
def _configure() -> None:
    # The CLI runs module code too (demo loaders, replays): its logs pass the same PHI allow-list.
    configure_logging(
        service="caremesh-cli", version=__version__, level=os.environ.get("CAREMESH_LOG_LEVEL", "INFO")
    )


app.command("up")(serve.up)
app.command("serve")(serve.serve_process)
app.command("migrate")(data.migrate_command)
app.command("token")(data.token_command)
app.add_typer(data.demo_app, name="demo")
app.add_typer(events.app, name="events")
app.add_typer(audit.app, name="audit")
app.add_typer(fhir.app, name="fhir")
app.add_typer(devices.app, name="devices")
app.add_typer(clients.app, name="clients")
app.add_typer(users.app, name="users")
app.command("deid")(deid.deid_command)

if __name__ == "__main__":
    app()
