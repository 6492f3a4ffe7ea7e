DROP TABLE console_sessions;
DROP TABLE family_tokens;
DROP TABLE refresh_tokens;
DROP TABLE auth_codes;
DROP TABLE sessions;
ALTER TABLE clients DROP COLUMN redirect_uris;
