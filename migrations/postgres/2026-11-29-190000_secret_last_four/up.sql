-- The last four characters of each new client secret, to match a leaked value to its id
-- without storing it. Never more than four; secrets made before keep NULL.
ALTER TABLE client_secrets ADD COLUMN last_four TEXT
    CHECK (last_four IS NULL OR length(last_four) <= 4);
