"""Use cases of the scheduling module: plain functions with keyword-only dependencies."""
