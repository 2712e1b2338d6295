"""SQL migrations of the clinical module's own tables.

The FHIR store's tables come from the engine's component migrations
(``caremesh.fhir.storage.migrations``, listed in the module definition); the module has no
tables of its own yet, so this history is empty.
"""
