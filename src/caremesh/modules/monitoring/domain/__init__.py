"""Monitoring domain: framework-free."""
