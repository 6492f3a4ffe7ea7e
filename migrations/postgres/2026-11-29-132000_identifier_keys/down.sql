DELETE FROM principals WHERE kind = 'user' AND id IN (SELECT id FROM users);
DROP INDEX principals_identifier_key;
ALTER TABLE principals DROP COLUMN identifier_key;
