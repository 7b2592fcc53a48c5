-- Up Migration
-- Spec 70 §5: API resources an application declares (RFC 8707 resource indicators). Tokens asked for a
-- resource carry it as their audience and, in the `jwt` format, follow RFC 9068.
CREATE TABLE api_resources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  indicator text NOT NULL UNIQUE,
  name varchar(255) NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  access_token_format varchar(10) NOT NULL DEFAULT 'jwt' CHECK (access_token_format IN ('jwt', 'opaque')),
  -- seconds; NULL = the system's access_token_ttl
  access_token_ttl integer CHECK (access_token_ttl IS NULL OR access_token_ttl BETWEEN 60 AND 86400),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_resources_application_id ON api_resources (application_id);
CREATE TRIGGER api_resources_touch BEFORE UPDATE ON api_resources FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

-- Down Migration
DROP TABLE IF EXISTS api_resources;
