"""The versioned medication-safety knowledge files (JSON) with their manifest."""
