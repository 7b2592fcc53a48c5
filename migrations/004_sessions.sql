-- Up Migration
-- Spec 40 §4 / seed 002: a PostgreSQL mirror of live OIDC sessions, for listing and revocation.
CREATE TABLE admin_sessions (
  session_id varchar(128) PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id uuid REFERENCES clients (id) ON DELETE SET NULL,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  grant_id varchar(128),
  ip_address inet,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX admin_sessions_organization ON admin_sessions (organization_id) WHERE revoked_at IS NULL;
CREATE INDEX admin_sessions_client ON admin_sessions (client_id) WHERE revoked_at IS NULL;
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at) WHERE revoked_at IS NULL;
CREATE INDEX admin_sessions_grant ON admin_sessions (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX admin_sessions_activity ON admin_sessions (last_activity_at DESC);

-- Down Migration
DROP TABLE IF EXISTS admin_sessions;
