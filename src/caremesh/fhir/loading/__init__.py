"""Bulk loading of FHIR data (transaction/batch Bundles, NDJSON) into an engine."""
