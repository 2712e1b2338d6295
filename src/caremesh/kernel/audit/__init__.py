"""Audit of PHI access: IHE BALP-shaped AuditEvents in an append-only, hash-chained, signed log."""
