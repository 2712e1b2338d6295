-- Cards the cds module returned, what was shown per encounter (for suppression), and clinicians'
-- responses. Portable SQL: runs unchanged on SQLite and PostgreSQL; flags are 0/1 integers.
CREATE TABLE cds_cards (
    uuid TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    indicator TEXT NOT NULL CHECK (indicator IN ('info', 'warning', 'critical')),
    hook TEXT NOT NULL,
    hook_instance TEXT,
    patient_id TEXT NOT NULL,
    encounter_id TEXT,
    user_id TEXT,
    subject_key TEXT NOT NULL,
    suppressed INTEGER NOT NULL CHECK (suppressed IN (0, 1)),
    knowledge_version TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX cds_cards_by_rule ON cds_cards (rule_id, suppressed);
CREATE INDEX cds_cards_by_time ON cds_cards (created_at);

-- One row per distinct alert (rule + what it matched) shown in an encounter: the same alert is
-- suppressed on later checks unless it escalates (or is critical at order-sign).
CREATE TABLE cds_encounter_alerts (
    patient_id TEXT NOT NULL,
    encounter_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    highest_rank INTEGER NOT NULL,
    times_shown INTEGER NOT NULL,
    first_shown_at TIMESTAMPTZ NOT NULL,
    last_shown_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (patient_id, encounter_id, subject_key)
);

CREATE TABLE cds_overrides (
    card_uuid TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    encounter_id TEXT,
    user_id TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    comment TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX cds_overrides_by_rule ON cds_overrides (rule_id);

CREATE TABLE cds_accepted_suggestions (
    card_uuid TEXT NOT NULL,
    suggestion_uuid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (card_uuid, suggestion_uuid)
);
