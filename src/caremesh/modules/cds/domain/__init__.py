"""domain of the cds module."""
