-- Up Migration
-- Dynamic client registration (spec 70 §5, RFC 7591/7592): off unless an organization turns it on; the
-- admin organization never does (its clients are the built-in ones and service accounts).
ALTER TABLE organizations ADD COLUMN dynamic_registration boolean NOT NULL DEFAULT false;
ALTER TABLE organizations ADD CONSTRAINT organizations_admin_no_registration CHECK (NOT (is_super_admin AND dynamic_registration));

-- Initial access tokens: made by an admin for one organization and the application its registered
-- clients join. Only the SHA-256 of the token is kept; the token itself is shown once.
CREATE TABLE registration_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  token_sha256 varchar(64) NOT NULL UNIQUE,
  label varchar(255),
  expires_at timestamptz NOT NULL,
  max_uses integer CHECK (max_uses IS NULL OR max_uses >= 1),
  use_count integer NOT NULL DEFAULT 0,
  last_used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT registration_tokens_within_limit CHECK (max_uses IS NULL OR use_count <= max_uses)
);
CREATE INDEX registration_tokens_organization ON registration_tokens (organization_id, created_at DESC);
CREATE INDEX registration_tokens_application ON registration_tokens (application_id);

INSERT INTO system_config (key, value, value_type, description, min_value, max_value) VALUES
  ('rate_limit_registration_max', '20', 'number', 'Dynamic client registration requests per IP per window', 1, 1000000),
  ('rate_limit_registration_window', '300', 'duration', 'Dynamic client registration window (seconds)', 1, 86400)
ON CONFLICT (key) DO NOTHING;

-- Down Migration
DELETE FROM system_config WHERE key IN ('rate_limit_registration_max', 'rate_limit_registration_window');
DROP TABLE IF EXISTS registration_tokens;
ALTER TABLE organizations DROP CONSTRAINT IF EXISTS organizations_admin_no_registration;
ALTER TABLE organizations DROP COLUMN IF EXISTS dynamic_registration;
