-- Up Migration
-- RFC 8628 device flow: wrong user codes entered on /{org}/auth/device, per IP (spec 70 §5, spec 50 §7).
INSERT INTO system_config (key, value, value_type, description, min_value, max_value) VALUES
  ('rate_limit_device_user_code_max', '10', 'number', 'Wrong device user codes per IP per window', 1, 100000),
  ('rate_limit_device_user_code_window', '900', 'duration', 'Device user code window (seconds)', 1, 86400)
ON CONFLICT (key) DO NOTHING;

-- Down Migration
DELETE FROM system_config WHERE key IN ('rate_limit_device_user_code_max', 'rate_limit_device_user_code_window');
