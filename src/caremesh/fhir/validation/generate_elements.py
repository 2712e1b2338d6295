"""Development tool: regenerate ``r4_elements.json``, the R4 element facts the JSON schema lacks.

The bundled ``fhir.schema.json`` cannot say that a required *primitive* element is missing (its
value may legitimately sit in ``_element`` alone), that choice elements (``value[x]``) are
exclusive, nor which properties a server vendor added to the R4 types. The fhirclient package
ships models generated from the very same R4 build (4.0.1-9346c8cc45), so this script pairs each
schema definition with its model class and records the differences.

Run it where ``fhirclient`` is installed (it is not a runtime dependency of the engine)::

    uv pip install --python .venv/bin/python fhirclient
    .venv/bin/python -m caremesh.fhir.validation.generate_elements \
        > src/caremesh/fhir/validation/r4_elements.json
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
from typing import Any

from caremesh.fhir.definitions import load

_NOT_RESOURCE_TYPES = ("ResourceList",)


def _model_classes() -> dict[str, type]:
    import fhirclient.models as models
    from fhirclient.models.fhirabstractbase import FHIRAbstractBase

    classes: dict[str, type] = {}
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"fhirclient.models.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FHIRAbstractBase) and cls.__module__ == module.__name__:
                classes[name] = cls
    return classes


def _target(prop: dict[str, Any]) -> str | None:
    ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


class _Collector:
    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.elements: dict[str, dict[str, Any]] = {}
        self.not_r4: dict[str, list[str]] = {}

    def visit(self, name: str, model: type) -> None:
        if name in self.elements:
            return
        self.elements[name] = {}
        schema = self.definitions[name]
        properties = {p[1]: p for p in model().elementProperties()}
        declared = {k for k in schema["properties"] if not k.startswith("_") and k != "resourceType"}
        if extra := sorted(declared - set(properties)):
            self.not_r4[name] = extra
        self.elements[name] = self._facts(schema, properties)
        for key in sorted(declared & set(properties)):
            target = _target(schema["properties"][key])
            if target and target not in _NOT_RESOURCE_TYPES and "properties" in self.definitions[target]:
                self.visit(target, properties[key][2])

    @staticmethod
    def _facts(schema: dict[str, Any], properties: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
        in_schema = set(schema.get("required", ()))
        required = sorted(k for k, p in properties.items() if p[5] and not p[4] and k not in in_schema)
        choices: dict[str, list[str]] = {}
        required_choices: set[str] = set()
        for key, prop in properties.items():
            if prop[4]:
                choices.setdefault(prop[4], []).append(key)
                if prop[5]:
                    required_choices.add(prop[4])
        facts: dict[str, Any] = {}
        if required:
            facts["required"] = required
        if choices:
            facts["choices"] = {group: sorted(keys) for group, keys in sorted(choices.items())}
        if required_choices:
            facts["required_choices"] = sorted(required_choices)
        return facts


def generate() -> dict[str, Any]:
    definitions = load()
    classes = _model_classes()
    collector = _Collector(definitions.schema["definitions"])
    for resource_type in sorted(definitions.resource_types):
        collector.visit(resource_type, classes[resource_type])
    return {
        "source": "FHIR R4 4.0.1-9346c8cc45 element definitions (via fhirclient models), CC0",
        "not_r4": dict(sorted(collector.not_r4.items())),
        "elements": {k: v for k, v in sorted(collector.elements.items()) if v},
    }


if __name__ == "__main__":
    json.dump(generate(), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
