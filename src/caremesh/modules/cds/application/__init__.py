"""application of the cds module."""
