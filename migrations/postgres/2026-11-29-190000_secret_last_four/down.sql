ALTER TABLE client_secrets DROP COLUMN last_four;
