"""adapters of the cds module."""
