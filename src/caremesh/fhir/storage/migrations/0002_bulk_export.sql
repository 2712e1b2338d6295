-- Bulk Data $export jobs of the FHIR store: the kick-off request, its state, and the manifest's
-- output once complete. The NDJSON files live under the var directory, named by job id.
CREATE TABLE fhir_export_job (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,                 -- accepted | running | completed | failed | cancelled
    request_url TEXT NOT NULL,
    level TEXT NOT NULL,                 -- system | patient | group
    group_id TEXT,
    types TEXT,                          -- JSON array of resource types; NULL: every type in scope
    since TIMESTAMPTZ,
    transaction_time TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    progress TEXT NOT NULL DEFAULT '',
    output TEXT,                         -- JSON [{"type", "file", "count"}] once complete
    error TEXT                           -- the failure, once failed
);
CREATE INDEX fhir_export_job_state ON fhir_export_job (state, updated_at);
