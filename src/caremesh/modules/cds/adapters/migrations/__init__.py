"""SQL migrations of the cds module."""
