-- Up Migration
-- Databases made before 001/002 stopped creating extensions hold users.email as citext. Turn it into
-- text with a case-insensitive unique index, as fresh installs have it, so that no Porta query needs
-- the extension. Idempotent (a no-op on fresh installs); the extension itself stays, as only its owner
-- may drop it.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_attribute a
     WHERE a.attrelid = 'users'::regclass AND a.attname = 'email' AND a.atttypid = to_regtype('citext')
  ) THEN
    ALTER TABLE users DROP CONSTRAINT IF EXISTS users_organization_id_email_key;
    DROP INDEX IF EXISTS users_email;
    ALTER TABLE users ALTER COLUMN email TYPE text;
  END IF;
END $$;
CREATE UNIQUE INDEX IF NOT EXISTS users_organization_lower_email_key ON users (organization_id, lower(email));

-- Down Migration
-- Back to citext only where the extension is installed and loadable (databases from before this change,
-- on PostgreSQL); fresh installs and the embedded engine, which no longer loads citext, keep text.
DO $$
BEGIN
  IF to_regtype('citext') IS NOT NULL
    AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'citext')
    AND EXISTS (
    SELECT 1 FROM pg_attribute a
     WHERE a.attrelid = 'users'::regclass AND a.attname = 'email' AND a.atttypid = 'text'::regtype
  ) THEN
    DROP INDEX IF EXISTS users_organization_lower_email_key;
    ALTER TABLE users ALTER COLUMN email TYPE citext;
    ALTER TABLE users ADD CONSTRAINT users_organization_id_email_key UNIQUE (organization_id, email);
    CREATE INDEX users_email ON users (email);
  END IF;
END $$;
