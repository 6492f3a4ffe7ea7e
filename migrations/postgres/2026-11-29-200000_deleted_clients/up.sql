-- A deleted client's tokens stay valid at offline verifiers until they expire; the revocation
-- list names the client until then, from this record (purged once its last token has expired).
CREATE TABLE deleted_clients (
    client_id TEXT NOT NULL,
    deleted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, deleted_at)
);
CREATE INDEX deleted_clients_deleted_at ON deleted_clients (deleted_at);
