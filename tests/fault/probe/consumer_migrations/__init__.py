"""Migrations of the probe_consumer test module."""
