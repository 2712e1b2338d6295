-- notify owns the patients' contact points, the message templates and every notification.

CREATE TABLE recipients (
    patient_id TEXT PRIMARY KEY,
    preferred_name TEXT,
    email TEXT,
    phone TEXT,
    push_token TEXT,
    channels TEXT NOT NULL,          -- JSON array of enabled channels
    opted_out TEXT NOT NULL,         -- JSON array of opted-out categories
    timezone TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per template and channel. Rows with source 'default' come from the files shipped in
-- the package and are upgraded when a newer version ships; 'custom' rows are never overwritten.
CREATE TABLE templates (
    template_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    version INTEGER NOT NULL,
    subject TEXT,                    -- email subject or push title; NULL for SMS
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (template_key, channel)
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    kind TEXT NOT NULL,              -- 'message' or 'reminder' (each has its own worker)
    template_key TEXT NOT NULL,
    category TEXT NOT NULL,
    channel TEXT,
    appointment_id TEXT,
    variables TEXT NOT NULL,         -- JSON object rendered into the template at send time
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    dedupe_key TEXT UNIQUE,
    next_attempt_at TIMESTAMPTZ,     -- due time while pending; pushed forward while claimed
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ
);
CREATE INDEX notifications_due ON notifications (kind, next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_patient ON notifications (patient_id, created_at);
CREATE INDEX notifications_appointment ON notifications (appointment_id) WHERE appointment_id IS NOT NULL;

CREATE TABLE delivery_attempts (
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    attempt INTEGER NOT NULL,
    provider TEXT NOT NULL,
    outcome TEXT NOT NULL,           -- 'delivered', 'transient-error' or 'permanent-error'
    error TEXT,
    provider_message_id TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (notification_id, attempt)
);
