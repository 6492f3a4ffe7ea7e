-- Client assertions (RFC 7523) already used, so that a jti is accepted once by the whole
-- deployment (every node, across restarts) until the assertion expires. The background job
-- purges rows past expires_at.
CREATE TABLE used_assertions (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX used_assertions_expires_at ON used_assertions (expires_at);
