-- Up Migration
-- Spec 40 §2 and spec 60 §4: second factors. No table carries organization_id: each row belongs to a user,
-- and the repo reaches the organization through users (src/two-factor/repo.ts).

-- Spec 70 §1: a passkey may be the required second factor.
ALTER TABLE organizations DROP CONSTRAINT IF EXISTS organizations_two_factor_policy_check;
ALTER TABLE organizations ADD CONSTRAINT organizations_two_factor_policy_check
  CHECK (two_factor_policy IN ('optional', 'required_email', 'required_totp', 'required_any', 'required_passkey'));

-- The TOTP secret, AES-256-GCM under TWO_FACTOR_ENCRYPTION_KEY (hex columns; IV 12 bytes, tag 16 bytes).
-- `verified` turns true with the first valid code; `last_used_step` is the replay guard, only ever raised.
CREATE TABLE user_totp (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  encrypted_secret text NOT NULL,
  encryption_iv text NOT NULL CHECK (encryption_iv ~ '^[0-9a-f]{24}$'),
  encryption_tag text NOT NULL CHECK (encryption_tag ~ '^[0-9a-f]{32}$'),
  algorithm varchar(10) NOT NULL DEFAULT 'SHA1',
  digits smallint NOT NULL DEFAULT 6,
  period smallint NOT NULL DEFAULT 30,
  verified boolean NOT NULL DEFAULT false,
  last_used_step bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER user_totp_touch BEFORE UPDATE ON user_totp FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

-- E-mailed codes: only the SHA-256 hex of the 6 digits; consumed by one guarded UPDATE … WHERE used_at IS NULL.
CREATE TABLE two_factor_otp_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash varchar(64) NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX two_factor_otp_codes_live ON two_factor_otp_codes (user_id, expires_at) WHERE used_at IS NULL;

-- Argon2id of the normalised code (upper case, no dash).
CREATE TABLE two_factor_recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX two_factor_recovery_codes_unused ON two_factor_recovery_codes (user_id) WHERE used_at IS NULL;

-- The lifetime and limits are in 001; kept here for databases seeded before they were.
INSERT INTO system_config (key, value, value_type, description, min_value, max_value) VALUES
  ('otp_code_ttl', '600', 'duration', 'E-mail OTP lifetime (seconds)', 60, 3600),
  ('rate_limit_2fa_verify_max', '5', 'number', 'Two-factor verification attempts per window', 1, 100000),
  ('rate_limit_2fa_verify_window', '300', 'duration', 'Two-factor verification window (seconds)', 1, 86400),
  ('rate_limit_otp_resend_max', '3', 'number', 'OTP resends per window', 1, 100000),
  ('rate_limit_otp_resend_window', '300', 'duration', 'OTP resend window (seconds)', 1, 86400)
ON CONFLICT (key) DO NOTHING;

-- Down Migration
-- Without the factor tables no enrolment is left to honour.
UPDATE users SET two_factor_enabled = false, two_factor_method = NULL WHERE two_factor_enabled;
DROP TABLE IF EXISTS two_factor_recovery_codes;
DROP TABLE IF EXISTS two_factor_otp_codes;
DROP TABLE IF EXISTS user_totp;
UPDATE organizations SET two_factor_policy = 'required_any' WHERE two_factor_policy = 'required_passkey';
ALTER TABLE organizations DROP CONSTRAINT IF EXISTS organizations_two_factor_policy_check;
ALTER TABLE organizations ADD CONSTRAINT organizations_two_factor_policy_check
  CHECK (two_factor_policy IN ('optional', 'required_email', 'required_totp', 'required_any'));
