"""Edge settings from a topology: defaults per topology shape and refusal of unsafe values."""

from __future__ import annotations

import pytest

from caremesh.kernel.edge.settings import EdgeSettingsError, edge_settings, settings_from_config
from caremesh.kernel.topology import parse


def _topology(processes: int, edge: dict[str, object] | None = None) -> object:
    return parse(
        {
            "name": "t",
            "infrastructure": {"database": "sqlite:///var", "bus": "nats://127.0.0.1:4222"},
            "processes": {f"p{i}": {"modules": [f"m{i}"], "port": 9000 + i} for i in range(processes)},
            "modules": {"edge": edge or {}},
        }
    )


def test_one_process_keeps_buckets_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREMESH_EDGE_RATE_LIMIT_STORE", raising=False)
    assert edge_settings(_topology(1)).rate_limit_store == "memory"  # type: ignore[arg-type]


def test_several_processes_share_buckets_in_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREMESH_EDGE_RATE_LIMIT_STORE", raising=False)
    monkeypatch.setenv("CAREMESH_REDIS_URL", "redis://cache.internal:6380/2")
    settings = edge_settings(_topology(2))  # type: ignore[arg-type]
    assert settings.rate_limit_store == "redis://cache.internal:6380/2"
    assert settings.rate_limit_prefix == "caremesh:ratelimit:t:"


def test_explicit_settings_win() -> None:
    settings = settings_from_config(
        {"rate_limit_store": "memory", "client_rate": 5, "client_burst": 7, "max_body_bytes": 2048},
        processes=3,
    )
    assert settings.rate_limit_store == "memory"
    assert (settings.client_limit.rate, settings.client_limit.burst) == (5.0, 7)
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize(
    "config",
    [
        {"cors_allowed_origins": ["*"]},
        {"cors_allowed_origins": "https://a.example"},
        {"client_burst": 0},
        {"client_rate": -1},
        {"client_rate": 1e9},
        {"max_body_bytes": "10MB"},
        {"rate_limit": "yes"},
        {"rate_limit_store": "memcached://x"},
        {"exempt_paths": "/health"},
        {"exempt_paths": ["health"]},
    ],
)
def test_unsafe_or_malformed_settings_are_refused(config: dict[str, object]) -> None:
    with pytest.raises(EdgeSettingsError):
        settings_from_config(config)


def test_the_environment_can_switch_limits_off_but_the_topology_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREMESH_EDGE_RATE_LIMIT", "off")
    assert settings_from_config({}).rate_limit is False
    assert settings_from_config({"rate_limit": True}).rate_limit is True
    monkeypatch.delenv("CAREMESH_EDGE_RATE_LIMIT")
    assert settings_from_config({}).rate_limit is True


def test_probes_metrics_and_calls_between_processes_are_not_throttled() -> None:
    assert settings_from_config({}).exempt_paths == ("/health", "/ready", "/metrics", "/internal")
