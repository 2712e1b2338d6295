-- Baselines and latest values are rewritten on nearly every batch: free space in each page lets
-- PostgreSQL update them in place (HOT: no new index entries), which keeps the hot path cheap.
ALTER TABLE alert_baselines SET (fillfactor = 60);
ALTER TABLE alert_latest SET (fillfactor = 70);
ALTER TABLE alert_weight_log SET (autovacuum_vacuum_scale_factor = 0.05);
