-- The identity module: signing keys, OAuth clients, users, login sessions, authorization codes,
-- tokens. Portable SQL (SQLite and PostgreSQL). Secrets are never stored in clear: passwords and
-- client secrets as argon2id hashes, codes/refresh tokens/session ids as SHA-256, private keys
-- and TOTP seeds sealed with AES-GCM under a key derived from the deployment secret.
CREATE TABLE identity_signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    private_jwk_sealed TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ,
    publish_until TIMESTAMPTZ
);

CREATE TABLE identity_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('app', 'backend', 'service')),
    auth_method TEXT NOT NULL CHECK (auth_method IN ('client_secret_basic', 'private_key_jwt', 'none')),
    secret_hash TEXT,
    jwks TEXT,
    redirect_uris TEXT NOT NULL,
    scope TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ
);

CREATE TABLE identity_users (
    user_id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret_sealed TEXT,
    totp_last_step INTEGER,
    patient_id TEXT,
    fhir_user TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ
);

CREATE TABLE identity_sessions (
    session_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES identity_users (user_id),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);

CREATE TABLE identity_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    patient_id TEXT,
    encounter_id TEXT,
    nonce TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    family_id TEXT NOT NULL,
    auth_time TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE TABLE identity_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    patient_id TEXT,
    encounter_id TEXT,
    issued_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    rotated_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX identity_refresh_tokens_by_family ON identity_refresh_tokens (family_id);

CREATE TABLE identity_access_tokens (
    jti TEXT PRIMARY KEY,
    family_id TEXT,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX identity_access_tokens_by_family ON identity_access_tokens (family_id);
CREATE INDEX identity_access_tokens_revoked ON identity_access_tokens (revoked_at, expires_at);

-- Client assertion ids seen (private_key_jwt): a replayed jti is refused until it expires.
CREATE TABLE identity_assertion_jtis (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, jti)
);
