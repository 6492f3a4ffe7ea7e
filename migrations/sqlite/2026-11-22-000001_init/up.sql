-- One identifier space for every principal: a user's username and a client's client_id are
-- both rows here, so the primary key makes a clash between the two kinds impossible.
CREATE TABLE principals (
    id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'client')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (id, kind)
);

CREATE TABLE clients (
    id TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    principal_kind TEXT NOT NULL DEFAULT 'client' CHECK (principal_kind = 'client'),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    client_type TEXT NOT NULL CHECK (client_type IN ('confidential', 'public')),
    grant_types TEXT NOT NULL,
    scopes TEXT NOT NULL,
    default_scopes TEXT NOT NULL,
    audiences TEXT NOT NULL,
    token_ttl_seconds BIGINT CHECK (token_ttl_seconds IS NULL OR token_ttl_seconds > 0),
    token_endpoint_auth_method TEXT NOT NULL,
    is_service_account BOOLEAN NOT NULL,
    is_admin_service_account BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    tokens_revoked_before TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    FOREIGN KEY (client_id, principal_kind) REFERENCES principals (id, kind),
    -- CONTRACT: is_admin_service_account only on a confidential service account that has the
    -- client_credentials grant. Held here so that no path around the API can break it.
    CONSTRAINT admin_flag_requires_confidential_service_account CHECK (
        is_admin_service_account = 0 OR (
            client_type = 'confidential'
            AND is_service_account = 1
            AND instr(' ' || grant_types || ' ', ' client_credentials ') > 0
        )
    )
);

CREATE TABLE client_secrets (
    id TEXT NOT NULL PRIMARY KEY,
    client_pk TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    hash_scheme TEXT NOT NULL CHECK (hash_scheme IN ('hmac-sha256')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX client_secrets_client_pk ON client_secrets (client_pk);

CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    principal_kind TEXT NOT NULL DEFAULT 'user' CHECK (principal_kind = 'user'),
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    password_hash TEXT,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    FOREIGN KEY (username, principal_kind) REFERENCES principals (id, kind)
);

CREATE TABLE signing_keys (
    kid TEXT NOT NULL PRIMARY KEY,
    alg TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA', 'RS256')),
    public_jwk TEXT NOT NULL,
    sealed_private BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    activates_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);

CREATE TABLE audit_events (
    id TEXT NOT NULL PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    ip TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);

CREATE TABLE revoked_tokens (
    jti TEXT NOT NULL PRIMARY KEY,
    client_pk TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
