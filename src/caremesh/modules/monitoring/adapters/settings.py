"""The monitoring module's settings, from its topology config table (``[modules.monitoring]``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from caremesh.modules.monitoring.domain.validation import ValidationPolicy


@dataclass(frozen=True)
class MonitoringSettings:
    policy: ValidationPolicy
    retention: timedelta  # readings measured longer ago are deleted by the maintenance worker
    latest_cache: str | None  # "redis://..." in multi-process topologies; None: in-process dict
    mqtt_url: str | None  # "mqtt://host:port" to ingest MQTT; None: HTTPS only
    maintenance_interval: float = 3600.0
    mqtt_client_id: str = "caremesh-monitoring-ingest"  # the persistent MQTT session's id


def load_settings(config: dict[str, Any]) -> MonitoringSettings:
    policy = ValidationPolicy(
        future_skew=timedelta(seconds=float(config.get("future_skew_seconds", 300))),
        max_age=timedelta(days=float(config.get("max_age_days", 30))),
    )
    return MonitoringSettings(
        policy=policy,
        retention=timedelta(days=float(config.get("retention_days", 3 * 365))),
        latest_cache=_optional(config.get("latest_cache")),
        mqtt_url=_optional(config.get("mqtt_url")),
        maintenance_interval=float(config.get("maintenance_interval_seconds", 3600)),
        mqtt_client_id=str(config.get("mqtt_client_id", "caremesh-monitoring-ingest")),
    )


def _optional(value: Any) -> str | None:
    return str(value) if value else None
