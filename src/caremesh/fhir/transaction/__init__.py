"""Batch and transaction Bundles posted to the service base (``POST [base]``)."""
