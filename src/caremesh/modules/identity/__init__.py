"""The identity module."""
