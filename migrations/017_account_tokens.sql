-- Up Migration
-- Spec 40 §2: single-use links sent by e-mail (magic link, password reset, invitation). Only the SHA-256
-- hex of the 32 random bytes is stored; a link is consumed by one guarded UPDATE … WHERE used_at IS NULL.
CREATE TABLE magic_link_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  -- Spec 60 §3: the sign-in completes only for this interaction, in the browser that asked.
  interaction_uid varchar(255),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX magic_link_tokens_unused ON magic_link_tokens (token_hash) WHERE used_at IS NULL;
CREATE INDEX magic_link_tokens_user ON magic_link_tokens (user_id) WHERE used_at IS NULL;

CREATE TABLE password_reset_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_reset_tokens_unused ON password_reset_tokens (token_hash) WHERE used_at IS NULL;
CREATE INDEX password_reset_tokens_user ON password_reset_tokens (user_id) WHERE used_at IS NULL;

CREATE TABLE invitation_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  -- {personalMessage, inviterName, roles[{applicationId, roleId}], claims[{applicationId, claimDefinitionId, value}]}
  details jsonb NOT NULL DEFAULT '{}',
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitation_tokens_unused ON invitation_tokens (token_hash) WHERE used_at IS NULL;
CREATE INDEX invitation_tokens_user ON invitation_tokens (user_id) WHERE used_at IS NULL;

-- The lifetimes and request limits are in 001; kept here for databases seeded before they were.
INSERT INTO system_config (key, value, value_type, description, min_value, max_value) VALUES
  ('magic_link_ttl', '900', 'duration', 'Magic link lifetime (seconds)', 60, 86400),
  ('password_reset_ttl', '3600', 'duration', 'Password reset link lifetime (seconds)', 60, 86400),
  ('invitation_ttl', '604800', 'duration', 'Invitation lifetime (seconds)', 3600, 2592000),
  ('rate_limit_magic_link_max', '5', 'number', 'Magic-link requests per window', 1, 100000),
  ('rate_limit_magic_link_window', '900', 'duration', 'Magic-link rate-limit window (seconds)', 1, 86400),
  ('rate_limit_password_reset_max', '5', 'number', 'Password-reset requests per window', 1, 100000),
  ('rate_limit_password_reset_window', '900', 'duration', 'Password-reset rate-limit window (seconds)', 1, 86400)
ON CONFLICT (key) DO NOTHING;

-- Down Migration
DROP TABLE IF EXISTS invitation_tokens;
DROP TABLE IF EXISTS password_reset_tokens;
DROP TABLE IF EXISTS magic_link_tokens;
