-- Up Migration
-- Limits of issue 10 beside those of 001 (spec 50 §7), tunable with `porta config set`.
INSERT INTO system_config (key, value, value_type, description, min_value, max_value) VALUES
  ('rate_limit_login_ip_failures_max', '50', 'number', 'Failed logins per organization and IP per window, across all e-mails (password spraying)', 1, 100000),
  ('rate_limit_login_ip_failures_window', '900', 'duration', 'Failed-login-per-IP window (seconds)', 1, 86400),
  ('rate_limit_admin_unauthenticated_max', '30', 'number', 'Admin API requests failing authentication per IP per window', 1, 1000000),
  ('rate_limit_admin_unauthenticated_window', '60', 'duration', 'Unauthenticated Admin API window (seconds)', 1, 86400)
ON CONFLICT (key) DO NOTHING;

-- Down Migration
DELETE FROM system_config WHERE key IN (
  'rate_limit_login_ip_failures_max', 'rate_limit_login_ip_failures_window',
  'rate_limit_admin_unauthenticated_max', 'rate_limit_admin_unauthenticated_window'
);
