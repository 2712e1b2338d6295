-- Schedules, their slots and the appointments booked into them. Portable SQL: runs unchanged on
-- SQLite and PostgreSQL. Timestamps are UTC; "active" is 0/1 because SQLite has no boolean.
CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    practitioner_id TEXT NOT NULL,
    service_type TEXT NOT NULL,
    timezone TEXT NOT NULL,
    location TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX schedules_by_practitioner ON schedules (practitioner_id, id);

CREATE TABLE slots (
    id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL REFERENCES schedules (id),
    start_at TIMESTAMPTZ NOT NULL,
    end_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('free', 'busy', 'blocked')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (end_at > start_at),
    UNIQUE (schedule_id, start_at)
);
CREATE INDEX slots_by_time ON slots (start_at, id);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    slot_id TEXT NOT NULL REFERENCES slots (id),
    schedule_id TEXT NOT NULL REFERENCES schedules (id),
    patient_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'fulfilled', 'noshow')),
    start_at TIMESTAMPTZ NOT NULL,
    end_at TIMESTAMPTZ NOT NULL,
    service_type TEXT,
    reason TEXT,
    booked_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    cancelled_at TIMESTAMPTZ,
    cancel_reason TEXT
);
-- The database's own guarantee against double booking: whatever the application does, a slot
-- holds at most one appointment that is not cancelled.
CREATE UNIQUE INDEX appointments_one_active_per_slot ON appointments (slot_id) WHERE status <> 'cancelled';
CREATE INDEX appointments_by_patient ON appointments (patient_id, start_at, id);
CREATE INDEX appointments_by_schedule ON appointments (schedule_id, start_at, id);
