-- Charges captured on dispense; one per medication order (UNIQUE), reversed on compensation.
CREATE TABLE charges (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE,
    patient_id TEXT NOT NULL,
    code TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    price_list_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('posted', 'reversed')),
    captured_at TIMESTAMPTZ NOT NULL,
    reversed_at TIMESTAMPTZ,
    reversal_reason TEXT
);
CREATE INDEX charges_by_patient ON charges (patient_id, captured_at);
