-- A client's public keys (a JWKS document) for private_key_jwt (RFC 7523 §2.2).
ALTER TABLE clients ADD COLUMN jwks TEXT;
