-- Up Migration
-- Who acted, through which edge, in which request; `seq` orders entries written in the same instant.
ALTER TABLE audit_log ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE audit_log ADD COLUMN actor_type varchar(30);
ALTER TABLE audit_log ADD COLUMN actor_client_id uuid REFERENCES clients (id) ON DELETE SET NULL;
ALTER TABLE audit_log ADD COLUMN actor_name varchar(255);
ALTER TABLE audit_log ADD COLUMN source varchar(30);
ALTER TABLE audit_log ADD COLUMN request_id varchar(100);
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_created ON audit_log (created_at DESC, seq DESC);
CREATE INDEX audit_log_actor_client ON audit_log (actor_client_id, created_at DESC) WHERE actor_client_id IS NOT NULL;

-- Spec 70 §4: service accounts are confidential client-credentials clients of the admin organization
-- holding admin roles themselves.
ALTER TABLE clients ADD COLUMN is_service_account boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN description text;
CREATE TABLE client_roles (
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  assigned_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, role_id)
);
CREATE INDEX client_roles_role ON client_roles (role_id);

-- Down Migration
DROP TABLE IF EXISTS client_roles;
ALTER TABLE clients DROP COLUMN IF EXISTS description;
ALTER TABLE clients DROP COLUMN IF EXISTS is_service_account;
DROP INDEX IF EXISTS audit_log_actor_client;
DROP INDEX IF EXISTS audit_log_created;
DROP INDEX IF EXISTS audit_log_seq;
ALTER TABLE audit_log DROP COLUMN IF EXISTS request_id;
ALTER TABLE audit_log DROP COLUMN IF EXISTS source;
ALTER TABLE audit_log DROP COLUMN IF EXISTS actor_name;
ALTER TABLE audit_log DROP COLUMN IF EXISTS actor_client_id;
ALTER TABLE audit_log DROP COLUMN IF EXISTS actor_type;
ALTER TABLE audit_log DROP COLUMN IF EXISTS seq;
