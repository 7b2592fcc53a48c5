-- Up Migration
CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  slug varchar(100) NOT NULL UNIQUE,
  status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'archived')),
  is_super_admin boolean NOT NULL DEFAULT false,
  branding_logo_url text,
  branding_favicon_url text,
  branding_primary_color varchar(7) CHECK (branding_primary_color IS NULL OR branding_primary_color ~ '^#[0-9A-Fa-f]{6}$'),
  branding_company_name varchar(255),
  branding_custom_css text CHECK (branding_custom_css IS NULL OR (length(branding_custom_css) <= 10000 AND position('<' IN branding_custom_css) = 0)),
  default_locale varchar(10) NOT NULL DEFAULT 'en',
  default_login_methods text[] NOT NULL DEFAULT '{password,magic_link}' CHECK (cardinality(default_login_methods) > 0),
  two_factor_policy varchar(20) NOT NULL DEFAULT 'optional'
    CHECK (two_factor_policy IN ('optional', 'required_email', 'required_totp', 'required_any')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_one_super_admin ON organizations (is_super_admin) WHERE is_super_admin;
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

INSERT INTO organizations (name, slug, is_super_admin, branding_company_name, default_locale)
VALUES ('Porta Admin', 'porta-admin', true, 'Porta', 'en');

CREATE TABLE applications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  slug varchar(100) NOT NULL UNIQUE,
  description text,
  status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'archived')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER applications_touch BEFORE UPDATE ON applications FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

CREATE TABLE application_modules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  name varchar(255) NOT NULL,
  slug varchar(100) NOT NULL,
  description text,
  status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (application_id, slug)
);
CREATE TRIGGER application_modules_touch BEFORE UPDATE ON application_modules FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

CREATE TABLE clients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  client_id varchar(255) NOT NULL UNIQUE,
  client_name varchar(255) NOT NULL,
  client_type varchar(20) NOT NULL CHECK (client_type IN ('confidential', 'public')),
  application_type varchar(20) NOT NULL DEFAULT 'web' CHECK (application_type IN ('web', 'native', 'spa')),
  redirect_uris text[] NOT NULL DEFAULT '{}',
  post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
  grant_types text[] NOT NULL DEFAULT '{authorization_code}',
  response_types text[] NOT NULL DEFAULT '{code}',
  scope text NOT NULL DEFAULT 'openid profile email',
  token_endpoint_auth_method varchar(50) NOT NULL DEFAULT 'client_secret_basic',
  allowed_origins text[] NOT NULL DEFAULT '{}',
  require_pkce boolean NOT NULL DEFAULT true CHECK (require_pkce = true),
  require_consent boolean NOT NULL DEFAULT false,
  login_methods text[] CHECK (login_methods IS NULL OR cardinality(login_methods) > 0),
  status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'revoked')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clients_organization_id ON clients (organization_id);
CREATE INDEX clients_application_id ON clients (application_id);
CREATE TRIGGER clients_touch BEFORE UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

CREATE TABLE client_secrets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  secret_hash text NOT NULL,
  secret_sha256 varchar(64) NOT NULL,
  label varchar(255),
  expires_at timestamptz,
  status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  last_used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_secrets_sha256 ON client_secrets (secret_sha256);
CREATE INDEX client_secrets_active ON client_secrets (client_id) WHERE status = 'active';

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email text NOT NULL,
  email_verified boolean NOT NULL DEFAULT false,
  password_hash text,
  password_changed_at timestamptz,
  given_name varchar(255),
  family_name varchar(255),
  middle_name varchar(255),
  nickname varchar(255),
  preferred_username varchar(255),
  profile_url text,
  picture_url text,
  website_url text,
  gender varchar(50),
  birthdate date,
  zoneinfo varchar(50),
  locale varchar(10),
  phone_number varchar(50),
  phone_number_verified boolean NOT NULL DEFAULT false,
  address_street text,
  address_locality varchar(255),
  address_region varchar(255),
  address_postal_code varchar(20),
  address_country varchar(2),
  status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended', 'locked')),
  locked_at timestamptz,
  locked_reason text,
  failed_login_count integer NOT NULL DEFAULT 0,
  last_failed_login_at timestamptz,
  last_login_at timestamptz,
  login_count integer NOT NULL DEFAULT 0,
  two_factor_enabled boolean NOT NULL DEFAULT false,
  two_factor_method varchar(10) CHECK (two_factor_method IS NULL OR two_factor_method IN ('email', 'totp')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- One address per organization whatever its case; lookups by e-mail compare lower(email) and use this index.
CREATE UNIQUE INDEX users_organization_lower_email_key ON users (organization_id, lower(email));
CREATE INDEX users_organization_id ON users (organization_id);
CREATE INDEX users_organization_status ON users (organization_id, status);
CREATE INDEX users_auto_locked ON users (locked_at) WHERE status = 'locked' AND locked_reason = 'auto_lockout';
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

CREATE TABLE signing_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kid varchar(255) NOT NULL UNIQUE,
  algorithm varchar(20) NOT NULL DEFAULT 'ES256',
  public_key text NOT NULL,
  private_key text NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired', 'revoked')),
  activated_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  revoked_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  private_key_iv varchar(24),
  private_key_tag varchar(32),
  encrypted boolean NOT NULL DEFAULT false
);

CREATE TABLE oidc_payloads (
  id varchar(255) NOT NULL,
  type varchar(50) NOT NULL,
  payload jsonb NOT NULL,
  grant_id varchar(255),
  user_code varchar(255),
  uid varchar(255),
  organization_id uuid,
  account_id uuid,
  expires_at timestamptz,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, type)
);
CREATE INDEX oidc_payloads_grant_id ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_payloads_user_code ON oidc_payloads (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_payloads_uid ON oidc_payloads (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_payloads_account_id ON oidc_payloads (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX oidc_payloads_expires_at ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE audit_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
  target_type varchar(50),
  target_id varchar(255),
  event_type varchar(100) NOT NULL,
  event_category varchar(50) NOT NULL CHECK (event_category IN ('admin', 'authentication', 'security', 'gdpr', 'system')),
  description text,
  metadata jsonb NOT NULL DEFAULT '{}',
  ip_address inet,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_organization ON audit_log (organization_id, created_at DESC);
CREATE INDEX audit_log_user ON audit_log (user_id, created_at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, created_at DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, created_at DESC);
CREATE INDEX audit_log_event_type ON audit_log (event_type, created_at DESC);
CREATE INDEX audit_log_event_category ON audit_log (event_category, created_at DESC);

-- Down Migration
DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS oidc_payloads;
DROP TABLE IF EXISTS signing_keys;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS client_secrets;
DROP TABLE IF EXISTS clients;
DROP TABLE IF EXISTS application_modules;
DROP TABLE IF EXISTS applications;
DROP TABLE IF EXISTS organizations;
