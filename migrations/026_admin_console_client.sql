-- Up Migration
-- Spec 70 §3: the admin console's built-in public client, for installations initialised before it existed
-- (`porta init` creates the same row on new ones). Its redirect and post-logout URIs are not stored: the
-- engine derives them from ISSUER_BASE_URL whenever it loads the client (oidc/console-client.ts), so a
-- changed issuer keeps working. A database not yet initialised has no admin application: nothing to add.
INSERT INTO clients (organization_id, application_id, client_id, client_name, client_type, application_type,
                     redirect_uris, post_logout_redirect_uris, grant_types, response_types, scope,
                     token_endpoint_auth_method, require_pkce, require_consent, description)
SELECT o.id, a.id, 'porta-admin-console', 'Porta Admin Console', 'public', 'spa',
       '{}', '{}', '{authorization_code,refresh_token}', '{code}', 'openid profile email offline_access',
       'none', true, false, 'The admin console at /admin (built in).'
  FROM organizations o JOIN applications a ON a.slug = 'porta-admin'
 WHERE o.is_super_admin
ON CONFLICT (client_id) DO NOTHING;

-- Down Migration
DELETE FROM clients
 WHERE client_id = 'porta-admin-console'
   AND organization_id IN (SELECT id FROM organizations WHERE is_super_admin);
