-- One row per metric of an accepted reading; the key is the dedupe key of a reading's metric.
CREATE TABLE reading_values (
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    metric TEXT NOT NULL,
    measured_at TIMESTAMPTZ NOT NULL,
    reading_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    flags TEXT NOT NULL,
    client_ref TEXT,
    PRIMARY KEY (device_id, kind, metric, measured_at)
);
CREATE INDEX reading_values_series ON reading_values (patient_id, metric, measured_at);
CREATE INDEX reading_values_time ON reading_values (measured_at);
