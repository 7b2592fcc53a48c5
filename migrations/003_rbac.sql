-- Up Migration
CREATE TABLE roles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  name varchar(255) NOT NULL,
  slug varchar(100) NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (application_id, slug)
);
CREATE TRIGGER roles_touch BEFORE UPDATE ON roles FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

CREATE TABLE permissions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  module_id uuid REFERENCES application_modules (id) ON DELETE SET NULL,
  name varchar(255) NOT NULL,
  slug varchar(150) NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (application_id, slug)
);

CREATE TABLE role_permissions (
  role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  permission_id uuid NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX role_permissions_permission ON role_permissions (permission_id);

CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  assigned_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE custom_claim_definitions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  claim_name varchar(100) NOT NULL,
  claim_type varchar(20) NOT NULL CHECK (claim_type IN ('string', 'number', 'boolean', 'json')),
  description text,
  include_in_id_token boolean NOT NULL DEFAULT false,
  include_in_access_token boolean NOT NULL DEFAULT true,
  include_in_userinfo boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (application_id, claim_name)
);
CREATE TRIGGER custom_claim_definitions_touch BEFORE UPDATE ON custom_claim_definitions
  FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

CREATE TABLE custom_claim_values (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  claim_id uuid NOT NULL REFERENCES custom_claim_definitions (id) ON DELETE CASCADE,
  value jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, claim_id)
);
CREATE INDEX custom_claim_values_claim ON custom_claim_values (claim_id);
CREATE TRIGGER custom_claim_values_touch BEFORE UPDATE ON custom_claim_values
  FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

-- Down Migration
DROP TABLE IF EXISTS custom_claim_values;
DROP TABLE IF EXISTS custom_claim_definitions;
DROP TABLE IF EXISTS user_roles;
DROP TABLE IF EXISTS role_permissions;
DROP TABLE IF EXISTS permissions;
DROP TABLE IF EXISTS roles;
