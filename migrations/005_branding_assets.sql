-- Up Migration
-- Spec 40 §4: uploaded logo and favicon per organization, served publicly at /{orgSlug}/branding/{type}.
CREATE TABLE branding_assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  asset_type varchar(20) NOT NULL CHECK (asset_type IN ('logo', 'favicon')),
  content_type varchar(50) NOT NULL,
  data bytea NOT NULL,
  file_size integer NOT NULL CHECK (file_size BETWEEN 1 AND 524288),
  sha256 varchar(64) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, asset_type)
);
CREATE TRIGGER branding_assets_touch BEFORE UPDATE ON branding_assets FOR EACH ROW EXECUTE FUNCTION porta_touch_updated_at();

-- Down Migration
DROP TABLE IF EXISTS branding_assets;
