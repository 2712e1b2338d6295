"""The scheduling rules in plain Python: no framework, no database."""
