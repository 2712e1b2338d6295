"""The clinical model is FHIR R4 itself, interpreted by the ``caremesh.fhir`` engine from the
spec's definitions; clinical rules of this module's own (medication order entry checked against
the allergy list in one transaction) live here as plain Python when they arrive."""
