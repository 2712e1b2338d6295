-- The FHIR store of one module: current versions, full history, and one search-index table per
-- search-parameter type. Index rows are written in the same transaction as the resource.
CREATE TABLE fhir_resource (
    res_type TEXT NOT NULL,
    res_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated TIMESTAMPTZ NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    body BLOB,
    PRIMARY KEY (res_type, res_id)
);
CREATE INDEX fhir_resource_updated ON fhir_resource (res_type, last_updated);

CREATE TABLE fhir_history (
    res_type TEXT NOT NULL,
    res_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated TIMESTAMPTZ NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    method TEXT NOT NULL,
    body BLOB,
    PRIMARY KEY (res_type, res_id, version)
);
CREATE INDEX fhir_history_updated ON fhir_history (last_updated);
CREATE INDEX fhir_history_type_updated ON fhir_history (res_type, last_updated);

CREATE TABLE fhir_sp_string (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    value TEXT NOT NULL, exact TEXT NOT NULL
);
CREATE INDEX fhir_sp_string_lookup ON fhir_sp_string (res_type, param, value);
CREATE INDEX fhir_sp_string_owner ON fhir_sp_string (res_type, res_id);

CREATE TABLE fhir_sp_token (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    system TEXT, code TEXT, text TEXT
);
CREATE INDEX fhir_sp_token_lookup ON fhir_sp_token (res_type, param, code, system);
CREATE INDEX fhir_sp_token_owner ON fhir_sp_token (res_type, res_id);

CREATE TABLE fhir_sp_date (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    low TIMESTAMPTZ NOT NULL, high TIMESTAMPTZ NOT NULL
);
CREATE INDEX fhir_sp_date_lookup ON fhir_sp_date (res_type, param, low, high);
CREATE INDEX fhir_sp_date_owner ON fhir_sp_date (res_type, res_id);

CREATE TABLE fhir_sp_number (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL
);
CREATE INDEX fhir_sp_number_lookup ON fhir_sp_number (res_type, param, low, high);
CREATE INDEX fhir_sp_number_owner ON fhir_sp_number (res_type, res_id);

CREATE TABLE fhir_sp_quantity (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    system TEXT, code TEXT, unit TEXT,
    value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL
);
CREATE INDEX fhir_sp_quantity_lookup ON fhir_sp_quantity (res_type, param, code, low, high);
CREATE INDEX fhir_sp_quantity_owner ON fhir_sp_quantity (res_type, res_id);

CREATE TABLE fhir_sp_reference (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    target_type TEXT, target_id TEXT, url TEXT
);
CREATE INDEX fhir_sp_reference_lookup ON fhir_sp_reference (res_type, param, target_id, target_type);
CREATE INDEX fhir_sp_reference_target ON fhir_sp_reference (target_id, target_type);
CREATE INDEX fhir_sp_reference_owner ON fhir_sp_reference (res_type, res_id);

CREATE TABLE fhir_sp_uri (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX fhir_sp_uri_lookup ON fhir_sp_uri (res_type, param, value);
CREATE INDEX fhir_sp_uri_owner ON fhir_sp_uri (res_type, res_id);

-- A composite's components come from one element, so they are stored side by side in one row:
-- the first component (a token in every R4 composite) and the second, whatever its type.
CREATE TABLE fhir_sp_composite (
    res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL,
    c1_system TEXT, c1_code TEXT,
    c2_system TEXT, c2_code TEXT, c2_text TEXT,
    c2_low REAL, c2_high REAL,
    c2_date_low TIMESTAMPTZ, c2_date_high TIMESTAMPTZ
);
CREATE INDEX fhir_sp_composite_lookup ON fhir_sp_composite (res_type, param, c1_code, c1_system);
CREATE INDEX fhir_sp_composite_owner ON fhir_sp_composite (res_type, res_id);
