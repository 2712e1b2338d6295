"""Architecture tests: module boundaries and the module contract hold for every module."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from caremesh.kernel.module import ModuleDefinition
from caremesh.modules import KNOWN_MODULES

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "caremesh"
LAYERS = ("domain", "application", "adapters", "api")
MAX_LINES = 300


def test_import_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_is_listed_in_the_independence_contract() -> None:
    config = (ROOT / ".importlinter").read_text()
    for name in KNOWN_MODULES:
        assert f"caremesh.modules.{name}\n" in config, f"{name} missing from .importlinter"


@pytest.mark.parametrize("name", sorted(KNOWN_MODULES))
def test_module_has_the_contract_layout(name: str) -> None:
    package = SRC / "modules" / name
    for layer in LAYERS:
        assert (package / layer / "__init__.py").exists(), f"{name} lacks its {layer} layer"
    definition = importlib.import_module(KNOWN_MODULES[name]).MODULE
    assert isinstance(definition, ModuleDefinition)
    assert definition.name == name
    assert importlib.import_module(definition.migrations) is not None
    assert (SRC / "contracts" / f"{name}.py").exists(), f"{name} publishes no contract"


def test_source_files_stay_short() -> None:
    long_files = {
        str(path.relative_to(SRC)): count
        for path in SRC.rglob("*.py")
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long_files, f"files over {MAX_LINES} lines: {long_files}"
