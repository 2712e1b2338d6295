"""Use cases of the clinical module around the FHIR engine: publishing its changes, counting them."""
