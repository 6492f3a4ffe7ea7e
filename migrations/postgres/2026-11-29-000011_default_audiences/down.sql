ALTER TABLE clients DROP COLUMN default_audiences;
