"""Edge settings: the ``[modules.edge]`` table of a topology file, with environment overrides.

```toml
[modules.edge]
rate_limit = true                          # false: off (env CAREMESH_EDGE_RATE_LIMIT=off too)
rate_limit_store = "redis://127.0.0.1:6379/0"   # or "memory"; default below
client_rate = 100.0                        # requests/second per bearer credential + address
client_burst = 1000
anonymous_rate = 20.0                      # requests/second per address without a bearer token
anonymous_burst = 200
max_body_bytes = 16777216                  # the outer bound; the FHIR engine has its own (10 MiB)
cors_allowed_origins = ["https://app.example.org"]
hsts_max_age = 31536000
```

Default store: in-process for a one-process topology; Redis (``CAREMESH_REDIS_URL``, else
``redis://127.0.0.1:6379/0``) when the topology has several processes, because per-process
buckets would multiply every limit by the number of processes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from caremesh.kernel.edge.gcra import MAX_RATE, Limit
from caremesh.kernel.topology import Topology

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# /internal: calls between caremesh processes (service tokens), bounded by the caller's bulkhead;
# throttling them would turn one busy module into errors in another.
DEFAULT_EXEMPT_PATHS = ("/health", "/ready", "/metrics", "/internal")


class EdgeSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class EdgeSettings:
    rate_limit: bool = True
    rate_limit_store: str = "memory"
    rate_limit_prefix: str = "caremesh:ratelimit:"
    client_limit: Limit = field(default_factory=lambda: Limit("client", 100.0, 1000))
    anonymous_limit: Limit = field(default_factory=lambda: Limit("anonymous", 20.0, 200))
    exempt_paths: tuple[str, ...] = DEFAULT_EXEMPT_PATHS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    cors_allowed_origins: tuple[str, ...] = ()
    hsts_max_age: int = 31_536_000


def _positive_int(config: dict[str, Any], key: str, default: int) -> int:
    value = config.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise EdgeSettingsError(f"modules.edge.{key} must be a positive whole number")
    return value


def _rate(config: dict[str, Any], key: str, default: float) -> float:
    value = config.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= MAX_RATE:
        raise EdgeSettingsError(f"modules.edge.{key} must be a number of requests/second in (0, {MAX_RATE}]")
    return float(value)


def _store(config: dict[str, Any], processes: int) -> str:
    configured = config.get("rate_limit_store") or os.environ.get("CAREMESH_EDGE_RATE_LIMIT_STORE")
    if configured:
        store = str(configured)
    elif processes > 1:
        store = os.environ.get("CAREMESH_REDIS_URL") or DEFAULT_REDIS_URL
    else:
        store = "memory"
    if store != "memory" and not store.startswith(("redis://", "rediss://", "unix://")):
        raise EdgeSettingsError("modules.edge.rate_limit_store must be 'memory' or a redis:// URL")
    return store


def _origins(config: dict[str, Any]) -> tuple[str, ...]:
    origins = config.get("cors_allowed_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) and o for o in origins):
        raise EdgeSettingsError("modules.edge.cors_allowed_origins must be a list of origins")
    if "*" in origins:
        raise EdgeSettingsError("modules.edge.cors_allowed_origins: '*' would expose PHI to any site")
    return tuple(o.rstrip("/") for o in origins)


def _rate_limit_default() -> bool:
    # Load tests and benchmarks drive one credential far past any sane client limit.
    return os.environ.get("CAREMESH_EDGE_RATE_LIMIT", "on").lower() not in ("off", "0", "false", "no")


def settings_from_config(config: dict[str, Any], *, processes: int = 1, namespace: str = "") -> EdgeSettings:
    enabled = config.get("rate_limit", _rate_limit_default())
    if not isinstance(enabled, bool):
        raise EdgeSettingsError("modules.edge.rate_limit must be true or false")
    exempt = config.get("exempt_paths", list(DEFAULT_EXEMPT_PATHS))
    if not isinstance(exempt, list) or not all(isinstance(p, str) and p.startswith("/") for p in exempt):
        raise EdgeSettingsError("modules.edge.exempt_paths must be a list of paths starting with /")
    return EdgeSettings(
        rate_limit=enabled,
        rate_limit_store=_store(config, processes),
        rate_limit_prefix=str(config.get("rate_limit_prefix", f"caremesh:ratelimit:{namespace}")),
        client_limit=Limit(
            "client",
            _rate(config, "client_rate", 100.0),
            _positive_int(config, "client_burst", 1000),
        ),
        anonymous_limit=Limit(
            "anonymous",
            _rate(config, "anonymous_rate", 20.0),
            _positive_int(config, "anonymous_burst", 200),
        ),
        exempt_paths=tuple(str(p) for p in exempt),
        max_body_bytes=_positive_int(config, "max_body_bytes", DEFAULT_MAX_BODY_BYTES),
        cors_allowed_origins=_origins(config),
        hsts_max_age=_positive_int(config, "hsts_max_age", 31_536_000),
    )


def edge_settings(topology: Topology) -> EdgeSettings:
    namespace = f"{topology.name}:" if topology.name else ""
    return settings_from_config(
        topology.config_of("edge"), processes=len(topology.processes), namespace=namespace
    )
