DROP TABLE revoked_tokens;
DROP TABLE audit_events;
DROP TABLE signing_keys;
DROP TABLE users;
DROP TABLE client_secrets;
DROP TABLE clients;
DROP TABLE principals;
