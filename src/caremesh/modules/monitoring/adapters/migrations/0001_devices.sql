-- Device registry: devices, their assignment to patients over time, hashed credentials.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    serial TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    manufacturer TEXT,
    model TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE device_assignments (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    patient_id TEXT NOT NULL,
    start_at TIMESTAMPTZ NOT NULL,
    end_at TIMESTAMPTZ,
    assigned_by TEXT NOT NULL
);
CREATE INDEX device_assignments_device ON device_assignments (device_id, start_at);
CREATE INDEX device_assignments_patient ON device_assignments (patient_id, start_at);
-- A device is with at most one patient at a time.
CREATE UNIQUE INDEX device_assignments_open ON device_assignments (device_id) WHERE end_at IS NULL;

CREATE TABLE device_credentials (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TIMESTAMPTZ,
    revoked_by TEXT
);
CREATE INDEX device_credentials_device ON device_credentials (device_id);

-- Readings that were not accepted, with the single-reading document to replay after a fix.
CREATE TABLE rejected_readings (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    device_id TEXT,
    format TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    resolved_at TIMESTAMPTZ,
    resolved_by TEXT,
    reading_id TEXT
);
CREATE INDEX rejected_readings_status ON rejected_readings (status, received_at);
CREATE INDEX rejected_readings_device ON rejected_readings (device_id, received_at);
