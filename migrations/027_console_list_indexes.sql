-- Up Migration
-- Issue 17: the admin console lists an organization's users newest first (or by last sign-in) and turns
-- pages with keyset cursors on (column, id). Without these, every page of a large organization sorted all
-- of its users (40 ms for 50,000 rows); with them a page reads 26 index entries. The NULLS and DESC
-- settings are those of the list queries (src/platform/db/keyset.ts), so forward and backward pages both
-- walk the index.
CREATE INDEX users_organization_created ON users (organization_id, created_at DESC NULLS LAST, id DESC);
CREATE INDEX users_organization_last_login ON users (organization_id, last_login_at DESC NULLS LAST, id DESC);

-- Down Migration
DROP INDEX IF EXISTS users_organization_last_login;
DROP INDEX IF EXISTS users_organization_created;
