-- No unique key on purpose: an effect applied twice must show up as two rows.
CREATE TABLE probe_effects (
    n INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
