"""The pharmacy module."""
