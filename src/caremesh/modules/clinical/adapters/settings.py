"""The module's settings, read from the topology's ``[modules.clinical]`` table.

[modules.clinical]
max_body_bytes = 10485760                     # larger request bodies are refused with 413
base_url = "https://ehr.example.org/fhir/R4"  # when a proxy hides the public address
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caremesh.fhir.engine import DEFAULT_MAX_BODY_BYTES

FHIR_PREFIX = "/fhir/R4"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class ClinicalSettings:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    base_url: str | None = None


def load_settings(config: dict[str, Any]) -> ClinicalSettings:
    limit = config.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise SettingsError("modules.clinical.max_body_bytes must be a positive whole number of bytes")
    base_url = config.get("base_url")
    if base_url is not None and (
        not isinstance(base_url, str) or not base_url.startswith(("http://", "https://"))
    ):
        raise SettingsError("modules.clinical.base_url must be an absolute http(s) URL")
    return ClinicalSettings(max_body_bytes=limit, base_url=base_url.rstrip("/") if base_url else None)
