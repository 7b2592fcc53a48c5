-- Up Migration
-- Spec 70 §1: passkeys (WebAuthn). A credential belongs to one user of one organization: the composite
-- foreign key below refuses a row whose organization is not its user's, and credential ids are unique per
-- organization only, so the same authenticator key can never stand for a user of another organization.
CREATE UNIQUE INDEX users_organization_id_id_key ON users (organization_id, id);

CREATE TABLE webauthn_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  -- The raw credential id and COSE public key, as the authenticator returned them.
  credential_id bytea NOT NULL CHECK (octet_length(credential_id) BETWEEN 1 AND 1023),
  public_key bytea NOT NULL,
  -- Only ever raised (or left at 0 by authenticators without a counter): a lower value is a cloned key.
  sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  aaguid uuid,
  backed_up boolean NOT NULL DEFAULT false,
  name varchar(100),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  CONSTRAINT webauthn_credentials_user_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id) ON DELETE CASCADE,
  CONSTRAINT webauthn_credentials_organization_credential_key UNIQUE (organization_id, credential_id)
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- The WebAuthn user handle: 32 random bytes made at the first registration, never derived from the e-mail.
ALTER TABLE users ADD COLUMN webauthn_user_handle bytea CHECK (webauthn_user_handle IS NULL OR octet_length(webauthn_user_handle) BETWEEN 16 AND 64);
CREATE UNIQUE INDEX users_webauthn_user_handle ON users (organization_id, webauthn_user_handle) WHERE webauthn_user_handle IS NOT NULL;

-- Spec 70 §1: offer to add a passkey right after a password sign-in (skippable).
ALTER TABLE organizations ADD COLUMN passkey_enrolment_prompt boolean NOT NULL DEFAULT false;

-- The login method `passkey` (spec 40 §1: no longer reserved) needs no schema change: default_login_methods
-- and clients.login_methods are text[] whose values the organizations and clients domains check.

-- Down Migration
-- Without passkeys no one may be left with `passkey` as their only way in: the organization falls back to
-- passwords, a client to its organization's methods.
UPDATE organizations SET default_login_methods = COALESCE(NULLIF(array_remove(default_login_methods, 'passkey'), '{}'), '{password}')
  WHERE 'passkey' = ANY (default_login_methods);
UPDATE clients SET login_methods = NULLIF(array_remove(login_methods, 'passkey'), '{}') WHERE 'passkey' = ANY (login_methods);
ALTER TABLE organizations DROP COLUMN IF EXISTS passkey_enrolment_prompt;
DROP INDEX IF EXISTS users_webauthn_user_handle;
ALTER TABLE users DROP COLUMN IF EXISTS webauthn_user_handle;
DROP TABLE IF EXISTS webauthn_credentials;
DROP INDEX IF EXISTS users_organization_id_id_key;
