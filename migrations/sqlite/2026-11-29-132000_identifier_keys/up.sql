-- The comparison key of each identifier (CONTRACT "Identifiers": case-folded, normalised,
-- confusable skeleton). UNIQUE, so two look-alikes can't both name a principal whatever path
-- writes them. Nullable only for the rows written before this migration: the key is computed
-- in Rust (no SQL function computes a UTS #39 skeleton), right after the migrations run.
ALTER TABLE principals ADD COLUMN identifier_key TEXT;
CREATE UNIQUE INDEX principals_identifier_key ON principals (identifier_key);

-- A user's id is in the same identifier space as usernames and client_ids (CONTRACT "User
-- tokens"): claim the ids of the users already there. An id some client already took (only
-- possible before this migration) is left with that client.
INSERT INTO principals (id, kind, created_at)
SELECT u.id, 'user', u.created_at FROM users u
WHERE NOT EXISTS (SELECT 1 FROM principals p WHERE p.id = u.id);
