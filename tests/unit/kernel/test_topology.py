"""Topology files: parsing, validation, and the shipped topologies."""

from __future__ import annotations

from pathlib import Path

import pytest

from caremesh.kernel import topology
from caremesh.modules import KNOWN_MODULES

ROOT = Path(__file__).resolve().parents[3]


def test_all_in_one_is_one_process_on_sqlite_and_the_in_process_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREMESH_DATABASE_URL", raising=False)
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    topo = topology.load(str(ROOT / "deploy/topologies/all-in-one.toml"))
    assert list(topo.processes) == ["app"]
    assert topo.database_url.startswith("sqlite:///") and topo.in_process_bus
    assert set(topo.modules) == set(KNOWN_MODULES)


@pytest.mark.parametrize("path", sorted((ROOT / "deploy/topologies").glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_topology_is_valid_and_places_only_known_modules(path: Path) -> None:
    topo = topology.load(str(path))
    assert set(topo.modules) <= set(KNOWN_MODULES)
    ports = [p.port for p in topo.processes.values()]
    assert len(ports) == len(set(ports))


def test_split_topology_resolves_owners_and_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    topo = topology.load(str(ROOT / "deploy/topologies/split.toml"))
    assert topo.process_of("notify").base_url == "http://127.0.0.1:8102"
    assert topo.bus_url.startswith("nats://")


def test_environment_overrides_infrastructure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREMESH_DATABASE_URL", "postgresql://127.0.0.1:5432/elsewhere")
    topo = topology.parse({"processes": {"a": {"modules": ["notify"]}}})
    assert topo.database_url_of("notify") == "postgresql://127.0.0.1:5432/elsewhere"


def test_module_specific_database_and_config() -> None:
    topo = topology.parse(
        {
            "infrastructure": {"database": "sqlite:///var"},
            "processes": {"a": {"modules": ["notify"]}},
            "modules": {"notify": {"database": "sqlite:///other", "smtp_port": 2525}},
        }
    )
    assert topo.database_url_of("notify") == "sqlite:///other"
    assert topo.config_of("notify")["smtp_port"] == 2525


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "at least one"),
        (
            {
                "processes": {"a": {"modules": ["x"]}, "b": {"modules": ["x"]}},
                "infrastructure": {"bus": "nats://h"},
            },
            "two processes",
        ),
        (
            {
                "processes": {"a": {"modules": ["x"]}, "b": {"modules": ["y"]}},
                "infrastructure": {"bus": "inprocess"},
            },
            "need a broker",
        ),
    ],
)
def test_invalid_topologies_are_refused_with_a_reason(
    data: dict, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    with pytest.raises(topology.TopologyError, match=message):
        topology.parse(data)


def test_unknown_topology_name_is_a_clear_error() -> None:
    with pytest.raises(topology.TopologyError, match="no topology file"):
        topology.load("does-not-exist")
