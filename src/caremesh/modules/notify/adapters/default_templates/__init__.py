"""Versioned default templates, seeded into the notify database."""
