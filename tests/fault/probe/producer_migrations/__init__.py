"""Migrations of the probe_producer test module."""
