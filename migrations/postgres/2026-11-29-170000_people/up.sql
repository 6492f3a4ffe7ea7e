-- People: redirect URIs, sign-in sessions, authorization codes, refresh tokens (CONTRACT
-- "People: sign-in and the console"). Every secret value (session id, code, refresh token) is
-- stored only as a keyed hash (HMAC-SHA-256 under the master key), hex.

ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';

-- A person signed in at the authorization server (the cookie holds the id; here its hash).
CREATE TABLE sessions (
    id_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- A code lives 60 s, is used once, and is bound to its client, redirect URI and PKCE challenge.
-- `family_id` names what its first use issued, so that a second use can revoke it.
CREATE TABLE auth_codes (
    code_hash TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    pkce TEXT NOT NULL,
    scope TEXT NOT NULL,
    audiences TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    family_id TEXT NOT NULL UNIQUE
);

-- Refresh tokens: opaque, rotated at every use; a reused one revokes its whole family.
CREATE TABLE refresh_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    family_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    audiences TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- The access tokens issued from a code's family, so that a replay or a reuse can revoke them.
CREATE TABLE family_tokens (
    jti TEXT NOT NULL PRIMARY KEY,
    family_id TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX family_tokens_family ON family_tokens (family_id);

-- The console's own sessions (it is a client of the flow above): the person and the scopes the
-- flow granted it.
CREATE TABLE console_sessions (
    id_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    family_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
