"""SQL migrations of the scheduling module."""
