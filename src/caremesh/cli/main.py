"""The ``caremesh`` command."""

from __future__ import annotations

import typer

from caremesh.cli import data, events, serve

app = typer.Typer(help="caremesh: run, migrate and operate the platform.", no_args_is_help=True)
app.command("up")(serve.up)
app.command("serve")(serve.serve_process)
app.command("migrate")(data.migrate_command)
app.command("token")(data.token_command)
app.add_typer(data.demo_app, name="demo")
app.add_typer(events.app, name="events")

if __name__ == "__main__":
    app()
