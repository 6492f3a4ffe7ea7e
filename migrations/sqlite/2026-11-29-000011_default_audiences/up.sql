ALTER TABLE clients ADD COLUMN default_audiences TEXT;
