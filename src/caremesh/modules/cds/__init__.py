"""The cds module."""
