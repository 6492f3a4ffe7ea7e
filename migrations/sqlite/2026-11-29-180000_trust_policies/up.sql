-- Trust policies (CONTRACT "Workload identity"): which outside issuer's tokens, for which
-- audience, subject and claims, stand for a service account. Keys either fetched from
-- `jwks_uri` or pinned in `jwks`, never both.
CREATE TABLE trust_policies (
    id TEXT NOT NULL PRIMARY KEY,
    client_pk TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    jwks_uri TEXT,
    jwks TEXT,
    audience TEXT NOT NULL,
    subject TEXT NOT NULL,
    claims TEXT NOT NULL,
    max_token_age_seconds BIGINT NOT NULL CHECK (max_token_age_seconds > 0),
    created_at TIMESTAMP NOT NULL,
    CHECK ((jwks_uri IS NULL) <> (jwks IS NULL))
);
CREATE INDEX trust_policies_client ON trust_policies (client_pk);
