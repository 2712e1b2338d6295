"""FHIR operations served next to the REST interactions: $everything, $validate, metadata, $export."""
