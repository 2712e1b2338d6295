"""Built-in payload formats (installed plugins are found through entry points as well)."""

from __future__ import annotations

from caremesh.modules.monitoring.adapters.formats.caremesh_v1 import CaremeshV1
from caremesh.modules.monitoring.adapters.formats.withings import WithingsMeasure
from caremesh.modules.monitoring.application.formats import ReadingFormat


def builtin_formats() -> dict[str, ReadingFormat]:
    return {"caremesh-v1": CaremeshV1(), "withings": WithingsMeasure()}
