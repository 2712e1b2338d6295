"""Synthetic FHIR demo data shipped with the clinical module (see README.md)."""
