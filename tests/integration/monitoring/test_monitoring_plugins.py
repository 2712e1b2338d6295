"""Formats and validators installed as entry points are used without any change to the pipeline.

The test installs a real (if tiny) distribution on sys.path: a dist-info with entry_points.txt
and a module holding a CSV-like vendor format and a stricter glucose validator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from monitoring_harness import MonitoringApp, minutes_ago, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime

PLUGIN = '''
from datetime import datetime
from caremesh.modules.monitoring.application.formats import FormatError
from caremesh.modules.monitoring.domain.candidate import Candidate, Measurement, ParsedBatch, Rejection


class LineFormat:
    """One reading per line: ``<iso time>;glucose;<mg/dL>``."""

    name = "lines"

    def parse(self, document):
        if not isinstance(document, dict) or not isinstance(document.get("lines"), list):
            raise FormatError("lines: expected a list")
        entries = []
        for line in document["lines"]:
            at, kind, value = line.split(";")
            entries.append(Candidate(None, kind, datetime.fromisoformat(at),
                                     {kind: Measurement(float(value), "mg/dL")}, {"line": line}))
        return ParsedBatch(device=None, entries=entries)

    def single(self, document, entry):
        return {"lines": [entry["line"]]}


class NoSevereHyperglycaemiaFromOldMeters:
    name = "old-meter-ceiling"
    device_types = frozenset({"glucose-meter"})

    def check(self, reading, device_type, now, policy):
        if reading.values.get("glucose", 0) > 450:
            return Rejection("meter-ceiling", "this meter model reads at most 450 mg/dL")
        return None
'''


@pytest.fixture
async def with_plugins(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MonitoringApp]:
    site = tmp_path / "site"
    (site / "rpm_vendor_plugin-0.1.dist-info").mkdir(parents=True)
    (site / "rpm_vendor_plugin.py").write_text(PLUGIN)
    (site / "rpm_vendor_plugin-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rpm-vendor-plugin\nVersion: 0.1\n"
    )
    (site / "rpm_vendor_plugin-0.1.dist-info" / "entry_points.txt").write_text(
        "[caremesh.monitoring.formats]\nlines = rpm_vendor_plugin:LineFormat\n\n"
        "[caremesh.monitoring.validators]\n"
        "old-meter-ceiling = rpm_vendor_plugin:NoSevereHyperglycaemiaFromOldMeters\n"
    )
    monkeypatch.syspath_prepend(str(site))
    runtime = build_runtime(topology_for(sqlite_url))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://m.test"
        ) as client:
            yield MonitoringApp(client, runtime)
    finally:
        await runtime.stop()


async def test_an_installed_format_and_validator_are_used(with_plugins: MonitoringApp) -> None:
    _, token = await with_plugins.device("glucose-meter", serial="GM-PLUGIN")
    lines = [f"{minutes_ago(30).isoformat()};glucose;120", f"{minutes_ago(20).isoformat()};glucose;480"]

    response = await with_plugins.post(token, {"lines": lines}, fmt="lines")

    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["stored", "rejected"]
    assert results[1]["reason"] == "meter-ceiling"
    kept = (await with_plugins.staff_get(f"/v1/monitoring/rejected/{results[1]['rejected_id']}")).json()
    assert kept["format"] == "lines" and lines[1] in kept["payload"]
