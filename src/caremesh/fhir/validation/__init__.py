"""Validation on write: R4 structure, required code bindings, reference syntax and a few invariants."""

from caremesh.fhir.validation.validator import Validator

__all__ = ["Validator"]
