-- Up Migration
-- Spec 70 §2: the account portal /{org}/account, on in every organization unless an administrator turns it
-- off. Its client, `porta-account`, is built in: the engine derives it for every organization from this
-- setting and ISSUER_BASE_URL (src/oidc/account-portal-client.ts), so organizations created before this
-- migration have it as well as new ones, and a changed ISSUER_BASE_URL keeps its redirect URI right.
ALTER TABLE organizations ADD COLUMN account_portal_enabled boolean NOT NULL DEFAULT true;

-- Spec 70 §2: a user's own e-mail change applies only when the link sent to the new address is opened.
-- Only the SHA-256 hex of the link's secret is stored; the link is used by one guarded UPDATE … WHERE used_at IS NULL.
CREATE TABLE email_change_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  new_email text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_change_tokens_user ON email_change_tokens (user_id) WHERE used_at IS NULL;

-- E-mail change requests and password change attempts of one user in the portal.
INSERT INTO system_config (key, value, value_type, description, min_value, max_value) VALUES
  ('rate_limit_account_change_max', '10', 'number', 'Account portal e-mail and password changes per user per window', 1, 100000),
  ('rate_limit_account_change_window', '900', 'duration', 'Account portal change rate-limit window (seconds)', 1, 86400)
ON CONFLICT (key) DO NOTHING;

-- Down Migration
DELETE FROM system_config WHERE key IN ('rate_limit_account_change_max', 'rate_limit_account_change_window');
DROP TABLE IF EXISTS email_change_tokens;
ALTER TABLE organizations DROP COLUMN IF EXISTS account_portal_enabled;
