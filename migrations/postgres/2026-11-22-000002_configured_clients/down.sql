ALTER TABLE clients DROP COLUMN managed_by;
