import type { Services } from '../../src/services.js';
import { systemActor } from '../../src/actors/index.js';

export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:8765/logged-out';
export const PASSWORD = 'correct horse battery staple';

export interface Tenant {
  orgId: string;
  slug: string;
  appId: string;
  confidential: { clientId: string; secret: string; id: string };
  spa: { clientId: string; id: string };
  userId: string;
  email: string;
}

export interface TenantOptions {
  requireConsent?: boolean;
  appSlug?: string;
  /** Registered on both clients instead of the fixed `REDIRECT_URI` / `POST_LOGOUT_URI` (a relying party started by the test). */
  redirectUri?: string;
  postLogoutRedirectUri?: string;
}

/** An organization with one application, a confidential web client, a public SPA client and a user. */
export async function createTenant(services: Services, slug: string, options: TenantOptions = {}): Promise<Tenant> {
  const org = await services.organizations.create(systemActor(), { name: `Org ${slug}`, slug });
  const appSlug = options.appSlug ?? `app-${slug}`;
  const redirectUris = [options.redirectUri ?? REDIRECT_URI];
  const postLogoutRedirectUris = [options.postLogoutRedirectUri ?? POST_LOGOUT_URI];
  const app = (await services.applications.findBySlug(appSlug)) ?? (await services.applications.create(systemActor(), { name: `App ${slug}`, slug: appSlug }));
  const web = await services.clients.create(systemActor(), org.id, {
    applicationId: app.id,
    clientName: `Web ${slug}`,
    clientType: 'confidential',
    applicationType: 'web',
    redirectUris,
    postLogoutRedirectUris,
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    scope: 'openid profile email offline_access',
    requireConsent: options.requireConsent ?? false,
  });
  const spa = await services.clients.create(systemActor(), org.id, {
    applicationId: app.id,
    clientName: `SPA ${slug}`,
    clientType: 'public',
    applicationType: 'spa',
    redirectUris,
    postLogoutRedirectUris,
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: 'openid profile email offline_access',
  });
  const email = 'ada@example.com';
  const user = await services.users.create(systemActor(), org.id, { email, password: PASSWORD, givenName: 'Ada', familyName: 'Lovelace', emailVerified: true });
  return {
    orgId: org.id,
    slug: org.slug,
    appId: app.id,
    confidential: { clientId: web.client.clientId, secret: web.secret!.plaintext, id: web.client.id },
    spa: { clientId: spa.client.clientId, id: spa.client.id },
    userId: user.id,
    email,
  };
}
