"""Who may do what with FHIR resources: SMART scopes, roles, patient confinement (framework-free)."""
