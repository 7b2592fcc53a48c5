-- Up Migration
-- Client fields of the protocol additions (spec 70 §5): the ID token's signing algorithm and claims,
-- PKCE per confidential client, back-channel logout, and private_key_jwt client authentication.
ALTER TABLE clients DROP CONSTRAINT IF EXISTS clients_require_pkce_check;
ALTER TABLE clients ADD CONSTRAINT clients_public_require_pkce CHECK (require_pkce OR client_type = 'confidential');

-- New clients sign ID tokens with RS256 (OIDC Core §15.1). Clients registered before this change were
-- only ever given ES256 ID tokens, and their relying parties may expect exactly that: they keep it.
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg varchar(10) NOT NULL DEFAULT 'ES256'
  CHECK (id_token_signed_response_alg IN ('RS256', 'ES256', 'PS256'));
ALTER TABLE clients ALTER COLUMN id_token_signed_response_alg SET DEFAULT 'RS256';

ALTER TABLE clients ADD COLUMN id_token_claims varchar(10) NOT NULL DEFAULT 'scopes'
  CHECK (id_token_claims IN ('scopes', 'minimal'));

ALTER TABLE clients ADD COLUMN backchannel_logout_uri text;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required boolean NOT NULL DEFAULT true;

-- private_key_jwt: the client's public keys, inline or by URL, never both.
ALTER TABLE clients ADD COLUMN jwks jsonb;
ALTER TABLE clients ADD COLUMN jwks_uri text;
ALTER TABLE clients ADD CONSTRAINT clients_one_key_source CHECK (jwks IS NULL OR jwks_uri IS NULL);

-- Down Migration
ALTER TABLE clients DROP CONSTRAINT IF EXISTS clients_one_key_source;
ALTER TABLE clients DROP COLUMN IF EXISTS jwks_uri;
ALTER TABLE clients DROP COLUMN IF EXISTS jwks;
ALTER TABLE clients DROP COLUMN IF EXISTS backchannel_logout_session_required;
ALTER TABLE clients DROP COLUMN IF EXISTS backchannel_logout_uri;
ALTER TABLE clients DROP COLUMN IF EXISTS id_token_claims;
ALTER TABLE clients DROP COLUMN IF EXISTS id_token_signed_response_alg;
UPDATE clients SET token_endpoint_auth_method = 'client_secret_basic' WHERE token_endpoint_auth_method = 'private_key_jwt';
UPDATE clients SET require_pkce = true WHERE NOT require_pkce;
ALTER TABLE clients DROP CONSTRAINT IF EXISTS clients_public_require_pkce;
ALTER TABLE clients ADD CONSTRAINT clients_require_pkce_check CHECK (require_pkce = true);
