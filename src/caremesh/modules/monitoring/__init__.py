"""The monitoring module."""
