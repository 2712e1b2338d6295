-- Alerting, care plans, care teams, baselines and the RPM programme (owned by the alerting part of
-- the monitoring module; the ingestion part uses versions 0001-0499).

CREATE TABLE alert_care_plans (
    patient_id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,                 -- JSON, the shape of care_plan_defaults.toml
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Ordered: position 0 is told first, escalation walks down the list.
CREATE TABLE alert_care_team (
    patient_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    staff_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (patient_id, position)
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    status TEXT NOT NULL,
    metric TEXT,
    first_value DOUBLE PRECISION,
    last_value DOUBLE PRECISION,
    last_reading_id TEXT,
    breach_count INTEGER NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    last_at TIMESTAMPTZ NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    notified INTEGER NOT NULL,          -- 0 when the per-patient rate cap held the notification back
    escalate_after_minutes INTEGER NOT NULL,
    escalation_level INTEGER NOT NULL,
    next_escalation_at TIMESTAMPTZ,
    acknowledged_by TEXT,
    acknowledged_at TIMESTAMPTZ,
    acknowledge_note TEXT,
    resolved_by TEXT,
    resolved_at TIMESTAMPTZ,
    resolve_note TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
-- Deduplication: at most one active (open or acknowledged) alert per patient and rule.
CREATE UNIQUE INDEX alerts_one_active ON alerts (patient_id, rule_id) WHERE status <> 'resolved';
CREATE INDEX alerts_escalation_due ON alerts (next_escalation_at) WHERE status = 'open';
CREATE INDEX alerts_by_status ON alerts (status, severity_rank, raised_at);
CREATE INDEX alerts_by_patient ON alerts (patient_id, raised_at);

-- The latest value of each metric per patient (dashboard, missing-data checks).
CREATE TABLE alert_latest (
    patient_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    measured_at TIMESTAMPTZ NOT NULL,
    device_id TEXT NOT NULL,
    reading_id TEXT NOT NULL,
    PRIMARY KEY (patient_id, metric)
);

-- Recent weights, for weight-gain trends (kept for the longest trend window plus a day).
CREATE TABLE alert_weight_log (
    patient_id TEXT NOT NULL,
    measured_at TIMESTAMPTZ NOT NULL,
    kg DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (patient_id, measured_at)
);

-- Per-patient, per-metric rolling baseline: the window's samples as JSON [[posix, value], ...].
CREATE TABLE alert_baselines (
    patient_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    samples TEXT NOT NULL,
    side INTEGER NOT NULL,
    run INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (patient_id, metric)
);

CREATE TABLE rpm_enrolments (
    patient_id TEXT PRIMARY KEY,
    enrolled_on TEXT NOT NULL,          -- ISO date; 30-day device periods count from here
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE rpm_reading_days (
    patient_id TEXT NOT NULL,
    day TEXT NOT NULL,                  -- ISO date (UTC)
    PRIMARY KEY (patient_id, day)
);

CREATE TABLE rpm_care_minutes (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    month TEXT NOT NULL,                -- YYYY-MM of performed_at (UTC)
    minutes INTEGER NOT NULL,
    performed_at TIMESTAMPTZ NOT NULL,
    note TEXT,
    logged_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rpm_care_minutes_month ON rpm_care_minutes (patient_id, month);

CREATE TABLE rpm_charges (
    charge_id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    cpt_code TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    earned_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rpm_charges_patient ON rpm_charges (patient_id, period_start);

-- Every step of every alert, with who and when: the audit trail the lifecycle columns summarise.
CREATE TABLE alert_history (
    id TEXT PRIMARY KEY,                -- time-ordered, so it also orders an alert's steps
    alert_id TEXT NOT NULL,
    action TEXT NOT NULL,               -- raised, severity-increased, escalated, acknowledged, resolved
    actor TEXT NOT NULL,                -- a staff subject, or 'system'
    severity TEXT NOT NULL,
    note TEXT,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);
