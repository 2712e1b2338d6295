"""api of the cds module."""
