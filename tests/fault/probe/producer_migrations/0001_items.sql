CREATE TABLE probe_items (
    n INTEGER PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);
