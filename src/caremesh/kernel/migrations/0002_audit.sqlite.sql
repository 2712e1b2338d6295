-- The audit trail of PHI access: append-only, hash-chained (kernel/audit/chain.py), with signed
-- checkpoints of the chain's head. Rows are never changed: triggers refuse UPDATE, DELETE and
-- (SQLite has no TRUNCATE), so even a bug cannot rewrite history (an attacker who drops the triggers is caught
-- by `caremesh audit verify`).
CREATE TABLE audit_event (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    recorded TIMESTAMPTZ NOT NULL,
    interaction TEXT NOT NULL,
    outcome TEXT NOT NULL,
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL,
    break_glass INTEGER NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_event_subject ON audit_event (subject, recorded);
CREATE INDEX audit_event_recorded ON audit_event (recorded);

-- One row per patient an event names (searches can name many), for the privacy officer's search.
CREATE TABLE audit_patient (
    patient_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (patient_id, seq)
);

CREATE TABLE audit_checkpoint (
    seq INTEGER PRIMARY KEY,
    head_hash TEXT NOT NULL,
    signed_at TIMESTAMPTZ NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- Emergency ("break-the-glass") access: who, why, until when. Append-only as well.
CREATE TABLE audit_access_grant (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_access_grant_subject ON audit_access_grant (subject, expires_at);

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_event)');
END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_event)');
END;
CREATE TRIGGER audit_patient_no_update BEFORE UPDATE ON audit_patient
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_patient)');
END;
CREATE TRIGGER audit_patient_no_delete BEFORE DELETE ON audit_patient
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_patient)');
END;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_checkpoint)');
END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_checkpoint)');
END;
CREATE TRIGGER audit_access_grant_no_update BEFORE UPDATE ON audit_access_grant
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_access_grant)');
END;
CREATE TRIGGER audit_access_grant_no_delete BEFORE DELETE ON audit_access_grant
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only (audit_access_grant)');
END;

-- Who started each Bulk Data export: only they may poll, cancel or download it.
CREATE TABLE audit_export_owner (
    job_id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
