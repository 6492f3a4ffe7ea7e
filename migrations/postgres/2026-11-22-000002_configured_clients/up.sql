-- Who manages a client: the admin API, or the configuration file (read-only through the API).
ALTER TABLE clients ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'api' CHECK (managed_by IN ('api', 'config'));
