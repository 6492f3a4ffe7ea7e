-- A private_key_jwt client may have its keys fetched from a jwks_uri instead of registered.
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
