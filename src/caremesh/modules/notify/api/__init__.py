"""HTTP routes of the notify module."""
