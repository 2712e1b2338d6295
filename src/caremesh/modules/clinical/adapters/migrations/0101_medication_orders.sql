-- Medication order entry: orders, their saga steps, and the per-patient medication-context version
-- (bumped in the same transaction as any write of the patient's AllergyIntolerance,
-- MedicationRequest or MedicationStatement; compared at signing).
CREATE TABLE medication_context (
    patient_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE medication_context_changes (
    patient_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    PRIMARY KEY (patient_id, version, resource_type, resource_id)
);

CREATE TABLE medication_orders (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    encounter_id TEXT,
    medication_code TEXT NOT NULL,
    medication_display TEXT,
    dose_value TEXT NOT NULL,
    dose_unit TEXT NOT NULL,
    frequency TEXT NOT NULL,
    route TEXT NOT NULL,
    duration_days INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'checked', 'signed', 'verified', 'dispensed', 'cancelled', 'rejected')),
    interaction_check TEXT NOT NULL CHECK (interaction_check IN ('not-run', 'completed', 'unavailable')),
    checked_version BIGINT,
    checked_at TIMESTAMPTZ,
    knowledge_version TEXT,
    alerts TEXT NOT NULL,
    overrides TEXT NOT NULL,
    overrides_pending INTEGER NOT NULL DEFAULT 0 CHECK (overrides_pending IN (0, 1)),
    ordered_by TEXT NOT NULL,
    signed_by TEXT,
    signed_at TIMESTAMPTZ,
    end_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX medication_orders_by_patient ON medication_orders (patient_id, created_at);
CREATE INDEX medication_orders_unchecked ON medication_orders (interaction_check, status);

CREATE TABLE medication_order_steps (
    order_id TEXT NOT NULL REFERENCES medication_orders (id),
    step TEXT NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, step)
);
