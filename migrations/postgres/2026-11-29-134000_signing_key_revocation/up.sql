-- A revoked key (compromised) is dropped at once from signing, the JWKS and every check.
ALTER TABLE signing_keys ADD COLUMN revoked_at TIMESTAMP;
