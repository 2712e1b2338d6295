"""Adapters of the clinical module: settings, and the module's own migrations."""
