"""FHIR R4 search over the ``fhir_sp_*`` index tables, one SQL text for SQLite and PostgreSQL.

Entry point: :func:`caremesh.fhir.search.engine.search`.
"""
