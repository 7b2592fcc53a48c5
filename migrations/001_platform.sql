-- Up Migration
-- No extension: gen_random_uuid() is core (PostgreSQL 13+), so the migration role needs no superuser.

CREATE OR REPLACE FUNCTION porta_touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE system_config (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key varchar(255) NOT NULL UNIQUE,
  value jsonb NOT NULL,
  value_type varchar(20) NOT NULL CHECK (value_type IN ('string', 'number', 'boolean', 'duration', 'json')),
  description text,
  is_sensitive boolean NOT NULL DEFAULT false,
  is_readonly boolean NOT NULL DEFAULT false,
  min_value bigint,
  max_value bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER system_config_touch BEFORE UPDATE ON system_config
  FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

INSERT INTO system_config (key, value, value_type, description, min_value, max_value) VALUES
  ('access_token_ttl', '3600', 'duration', 'Access token lifetime (seconds)', 60, 86400),
  ('id_token_ttl', '3600', 'duration', 'ID token lifetime (seconds)', 60, 86400),
  ('refresh_token_ttl', '1209600', 'duration', 'Refresh token lifetime (seconds)', 3600, 31536000),
  ('authorization_code_ttl', '600', 'duration', 'Authorization code lifetime (seconds)', 30, 3600),
  ('session_ttl', '86400', 'duration', 'Browser session lifetime (seconds)', 300, 2592000),
  ('interaction_ttl', '3600', 'duration', 'Login interaction lifetime (seconds)', 300, 86400),
  ('magic_link_ttl', '900', 'duration', 'Magic link lifetime (seconds)', 60, 86400),
  ('password_reset_ttl', '3600', 'duration', 'Password reset link lifetime (seconds)', 60, 86400),
  ('invitation_ttl', '604800', 'duration', 'Invitation lifetime (seconds)', 3600, 2592000),
  ('otp_code_ttl', '600', 'duration', 'E-mail OTP lifetime (seconds)', 60, 3600),
  ('account_lockout_threshold', '5', 'number', 'Failed logins before an account locks', 1, 100),
  ('account_lockout_cooldown_minutes', '15', 'number', 'Minutes before an auto-locked account unlocks', 1, 10080),
  ('rate_limit_login_max', '10', 'number', 'Login attempts per window (org + IP + e-mail)', 1, 100000),
  ('rate_limit_login_window', '900', 'duration', 'Login rate-limit window (seconds)', 1, 86400),
  ('rate_limit_magic_link_max', '5', 'number', 'Magic-link requests per window', 1, 100000),
  ('rate_limit_magic_link_window', '900', 'duration', 'Magic-link rate-limit window (seconds)', 1, 86400),
  ('rate_limit_password_reset_max', '5', 'number', 'Password-reset requests per window', 1, 100000),
  ('rate_limit_password_reset_window', '900', 'duration', 'Password-reset rate-limit window (seconds)', 1, 86400),
  ('rate_limit_2fa_verify_max', '5', 'number', 'Two-factor verification attempts per window', 1, 100000),
  ('rate_limit_2fa_verify_window', '300', 'duration', 'Two-factor verification window (seconds)', 1, 86400),
  ('rate_limit_otp_resend_max', '3', 'number', 'OTP resends per window', 1, 100000),
  ('rate_limit_otp_resend_window', '300', 'duration', 'OTP resend window (seconds)', 1, 86400),
  ('rate_limit_token_max', '30', 'number', 'Token endpoint requests per IP per window', 1, 1000000),
  ('rate_limit_token_window', '300', 'duration', 'Token endpoint window (seconds)', 1, 86400),
  ('rate_limit_introspection_max', '100', 'number', 'Introspection requests per IP per window', 1, 1000000),
  ('rate_limit_introspection_window', '60', 'duration', 'Introspection window (seconds)', 1, 86400),
  ('rate_limit_admin_write_max', '60', 'number', 'Admin API writes per IP per window', 1, 1000000),
  ('rate_limit_admin_write_window', '60', 'duration', 'Admin API write window (seconds)', 1, 86400),
  ('audit_retention_days', '90', 'number', 'Days of audit log kept by porta audit cleanup', 1, 3650),
  ('default_locale', '"en"', 'string', 'Global fallback locale', NULL, NULL);

-- Down Migration
DROP TABLE IF EXISTS system_config;
DROP FUNCTION IF EXISTS porta_touch_updated_at();
