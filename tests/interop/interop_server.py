"""A real caremesh server process (`caremesh serve`) with the all-in-one modules, for FHIR clients.

The process is started once per test session and dialect: SQLite files in a temporary var
directory, or a fresh PostgreSQL database that is dropped afterwards. It gets its own signing
secret through its environment, and the tests get a bearer token signed with the same secret.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from tests.conftest import POSTGRES_ADMIN, require_service
from tests.e2e.platform_processes import ROOT, free_port, stop, wait_ready

from caremesh.kernel.security.tokens import issue_token

FHIR_PREFIX = "/fhir/R4"
SECRET = "interop-secret-not-for-production-0123456789"
MODULES = '["clinical", "scheduling", "notify"]'  # the all-in-one topology's modules


@dataclass(frozen=True)
class FhirServer:
    dialect: str
    origin: str  # http://127.0.0.1:PORT
    token: str
    log: Path

    @property
    def base(self) -> str:
        return self.origin + FHIR_PREFIX

    @property
    def auth_header(self) -> str:
        return f"Bearer {self.token}"

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": self.auth_header}


def _topology(database_url: str, port: int) -> str:
    return f"""
name = "interop"
[infrastructure]
database = "{database_url}"
bus = "inprocess"
[processes.app]
port = {port}
modules = {MODULES}
"""


def _server_env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The topology file names the database and bus; a developer's shell must not override them.
    env.pop("CAREMESH_DATABASE_URL", None)
    env.pop("CAREMESH_BUS_URL", None)
    env.update(CAREMESH_SECRET=SECRET, CAREMESH_VAR_DIR=str(var_dir), CAREMESH_LOG_LEVEL="WARNING")
    return env


def _token() -> str:
    previous = os.environ.get("CAREMESH_SECRET")
    os.environ["CAREMESH_SECRET"] = SECRET
    try:
        return issue_token(
            subject="user-interop-0001", client_id="interop-tests", kind="user", scopes=["user/*.cruds"],
        )
    finally:
        if previous is None:
            del os.environ["CAREMESH_SECRET"]
        else:
            os.environ["CAREMESH_SECRET"] = previous


@contextmanager
def serving(dialect: str, database_url: str, work_dir: Path) -> Iterator[FhirServer]:
    port = free_port()
    topology = work_dir / "interop.toml"
    topology.write_text(_topology(database_url, port))
    log = work_dir / "app.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "caremesh.cli.main", "serve", "--topology", str(topology),
             "--process", "app"],
            cwd=ROOT, env=_server_env(work_dir / "var"), stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        origin = f"http://127.0.0.1:{port}"
        wait_ready(origin, process)
        yield FhirServer(dialect=dialect, origin=origin, token=_token(), log=log)
    finally:
        stop([process])


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Like tests/conftest.py's fixture, but usable from a session-scoped synchronous fixture."""
    require_service("PostgreSQL", 5432)
    name = f"caremesh_t_{secrets.token_hex(6)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def server_for(dialect: str, work_dir: Path) -> Iterator[FhirServer]:
    if dialect == "sqlite":
        with serving(dialect, f"sqlite:///{work_dir}/var", work_dir) as server:
            yield server
        return
    with fresh_postgres_database() as url, serving(dialect, url, work_dir) as server:
        yield server
