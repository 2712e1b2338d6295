"""SQL migrations of the notify module."""
