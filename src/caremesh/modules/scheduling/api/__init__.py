"""HTTP API of the scheduling module."""
