"""Topologies: which modules run in which process, and the infrastructure each process uses.

A topology is a TOML file (deploy/topologies/*.toml). Module code never reads it: the bootstrap
uses it to open databases, pick the event transport and resolve calls between modules to an
in-process facade or to an HTTP client.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TOPOLOGY = "all-in-one"


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    modules: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Topology:
    name: str
    database_url: str
    bus_url: str
    processes: dict[str, ProcessSpec]
    module_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None

    @property
    def modules(self) -> list[str]:
        return [m for p in self.processes.values() for m in p.modules]

    def process_of(self, module: str) -> ProcessSpec:
        for process in self.processes.values():
            if module in process.modules:
                return process
        raise KeyError(f"module {module!r} runs in no process of topology {self.name!r}")

    def database_url_of(self, module: str) -> str:
        return str(self.module_config.get(module, {}).get("database", self.database_url))

    def config_of(self, module: str) -> dict[str, Any]:
        return dict(self.module_config.get(module, {}))

    @property
    def in_process_bus(self) -> bool:
        return self.bus_url == "inprocess"


class TopologyError(ValueError):
    pass


def topologies_dir() -> Path:
    """``CAREMESH_TOPOLOGIES``, else ./deploy/topologies, else the source checkout's own folder."""
    configured = os.environ.get("CAREMESH_TOPOLOGIES")
    if configured:
        return Path(configured)
    local = Path.cwd() / "deploy" / "topologies"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[3] / "deploy" / "topologies"


def resolve_path(name_or_path: str | None) -> Path:
    candidate = name_or_path or os.environ.get("CAREMESH_TOPOLOGY") or DEFAULT_TOPOLOGY
    path = Path(candidate)
    if path.suffix == ".toml" and path.exists():
        return path
    named = topologies_dir() / f"{candidate}.toml"
    if named.exists():
        return named
    raise TopologyError(f"no topology file {candidate!r} (looked in {topologies_dir()})")


def parse(data: dict[str, Any], *, source: Path | None = None) -> Topology:
    infra = data.get("infrastructure", {})
    database_url = os.environ.get("CAREMESH_DATABASE_URL") or infra.get("database", "sqlite:///var")
    bus_url = os.environ.get("CAREMESH_BUS_URL") or infra.get("bus", "inprocess")
    raw_processes = data.get("processes") or {}
    if not raw_processes:
        raise TopologyError("a topology needs at least one [processes.NAME] table")
    processes = {
        name: ProcessSpec(
            name=name,
            modules=tuple(spec.get("modules", [])),
            host=str(spec.get("host", "127.0.0.1")),
            port=int(spec.get("port", 8000)),
        )
        for name, spec in raw_processes.items()
    }
    topology = Topology(
        name=str(data.get("name", source.stem if source else "unnamed")),
        database_url=database_url,
        bus_url=bus_url,
        processes=processes,
        module_config={k: dict(v) for k, v in (data.get("modules") or {}).items()},
        source=source,
    )
    _validate(topology)
    return topology


def _validate(topology: Topology) -> None:
    seen: set[str] = set()
    for process in topology.processes.values():
        for module in process.modules:
            if module in seen:
                raise TopologyError(f"module {module!r} is placed in two processes")
            seen.add(module)
    if len(topology.processes) > 1 and topology.in_process_bus:
        raise TopologyError("several processes need a broker: set infrastructure.bus to a nats:// URL")


def load(name_or_path: str | None = None) -> Topology:
    path = resolve_path(name_or_path)
    with path.open("rb") as handle:
        return parse(tomllib.load(handle), source=path)
