"""HTTP surface of the clinical module: the FHIR R4 REST API at ``/fhir/R4``."""
