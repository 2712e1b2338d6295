"""The clinical module: the core clinical record as a FHIR R4 store with ACID guarantees."""
