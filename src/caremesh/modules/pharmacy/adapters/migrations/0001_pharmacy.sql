-- The pharmacy's verification queue. UNIQUE (order_id): one pharmacy order per medication order,
-- whatever the bus delivers twice.
CREATE TABLE pharmacy_orders (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE,
    patient_id TEXT NOT NULL,
    medication_code TEXT NOT NULL,
    medication_display TEXT,
    dose TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    interaction_check TEXT NOT NULL CHECK (interaction_check IN ('completed', 'unavailable')),
    alerts TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'verified', 'rejected', 'dispensed', 'dequeued')),
    queued_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    verified_by TEXT,
    rejected_reason TEXT,
    dispensed_quantity INTEGER,
    was_dispensed INTEGER NOT NULL DEFAULT 0 CHECK (was_dispensed IN (0, 1))
);
CREATE INDEX pharmacy_orders_queue ON pharmacy_orders (status, queued_at);
