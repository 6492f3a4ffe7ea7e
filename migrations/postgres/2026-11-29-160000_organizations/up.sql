-- Organizations, groups and where every principal lives (CONTRACT "Organizations, groups and
-- permissions"). The tree's rules are held here as well as in the domain: depth at most three
-- (root, vendor, customer), one root that can't be disabled or deleted, lowercase slugs, a
-- principal's organization fixed at creation, group members from the group's organization.

CREATE TABLE organizations (
    id TEXT NOT NULL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,63}$'),
    name TEXT NOT NULL,
    parent_id TEXT,
    depth INTEGER NOT NULL CHECK (depth BETWEEN 0 AND 2),
    parent_depth INTEGER,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (id, depth),
    -- A child sits exactly one level below its parent: with depth at most 2, no fourth level.
    FOREIGN KEY (parent_id, parent_depth) REFERENCES organizations (id, depth),
    CHECK ((parent_id IS NULL AND parent_depth IS NULL AND depth = 0)
        OR (parent_id IS NOT NULL AND parent_depth = depth - 1)),
    CONSTRAINT root_stays_active CHECK (depth > 0 OR active)
);
CREATE UNIQUE INDEX organizations_one_root ON organizations (depth) WHERE depth = 0;
CREATE INDEX organizations_parent ON organizations (parent_id);

INSERT INTO organizations (id, slug, name, parent_id, depth, parent_depth, active, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', 'root', 'Root', NULL, 0, NULL, TRUE,
        now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC');

CREATE FUNCTION castellan_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'check_violation'; END $$;

CREATE TRIGGER organizations_root_stays BEFORE DELETE ON organizations
FOR EACH ROW WHEN (OLD.depth = 0)
EXECUTE FUNCTION castellan_refuse('the root organization can not be deleted');

CREATE TRIGGER organizations_place_fixed BEFORE UPDATE OF parent_id, depth ON organizations
FOR EACH ROW WHEN (NEW.parent_id IS DISTINCT FROM OLD.parent_id OR NEW.depth <> OLD.depth)
EXECUTE FUNCTION castellan_refuse('an organization does not move');

ALTER TABLE clients ADD COLUMN org_id TEXT NOT NULL
    DEFAULT '00000000-0000-0000-0000-000000000000' REFERENCES organizations (id);
ALTER TABLE clients ALTER COLUMN org_id DROP DEFAULT;
CREATE UNIQUE INDEX clients_id_org ON clients (id, org_id);
CREATE INDEX clients_org ON clients (org_id, created_at);
CREATE TRIGGER clients_org_fixed BEFORE UPDATE OF org_id ON clients
FOR EACH ROW WHEN (NEW.org_id IS DISTINCT FROM OLD.org_id)
EXECUTE FUNCTION castellan_refuse('a principal''s organization is fixed at creation');

ALTER TABLE users ADD COLUMN org_id TEXT NOT NULL
    DEFAULT '00000000-0000-0000-0000-000000000000' REFERENCES organizations (id);
ALTER TABLE users ALTER COLUMN org_id DROP DEFAULT;
CREATE UNIQUE INDEX users_id_org ON users (id, org_id);
CREATE INDEX users_org ON users (org_id, created_at);
CREATE TRIGGER users_org_fixed BEFORE UPDATE OF org_id ON users
FOR EACH ROW WHEN (NEW.org_id IS DISTINCT FROM OLD.org_id)
EXECUTE FUNCTION castellan_refuse('a principal''s organization is fixed at creation');

CREATE TABLE groups (
    id TEXT NOT NULL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    scopes TEXT NOT NULL,
    audiences TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, name),
    UNIQUE (id, org_id)
);
CREATE TRIGGER groups_org_fixed BEFORE UPDATE OF org_id ON groups
FOR EACH ROW WHEN (NEW.org_id IS DISTINCT FROM OLD.org_id)
EXECUTE FUNCTION castellan_refuse('a group''s organization is fixed at creation');

-- A member is a client or a user of the group's own organization: both foreign keys carry
-- the organization, so a member from elsewhere can't be written by any path.
CREATE TABLE group_members (
    id TEXT NOT NULL PRIMARY KEY,
    group_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    client_pk TEXT,
    user_id TEXT,
    added_at TIMESTAMP NOT NULL,
    CHECK ((client_pk IS NULL) <> (user_id IS NULL)),
    FOREIGN KEY (group_id, org_id) REFERENCES groups (id, org_id) ON DELETE CASCADE,
    FOREIGN KEY (client_pk, org_id) REFERENCES clients (id, org_id) ON DELETE CASCADE,
    FOREIGN KEY (user_id, org_id) REFERENCES users (id, org_id) ON DELETE CASCADE,
    UNIQUE (group_id, client_pk),
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_members_client ON group_members (client_pk);
CREATE INDEX group_members_user ON group_members (user_id);

-- Audit events carry the target's organization (no foreign key: the trail outlives it).
ALTER TABLE audit_events ADD COLUMN org_id TEXT;
UPDATE audit_events SET org_id = '00000000-0000-0000-0000-000000000000';
CREATE INDEX audit_events_org ON audit_events (org_id, occurred_at);
