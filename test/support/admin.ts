/* eslint-disable @typescript-eslint/no-explicit-any -- admin responses are JSON asserted field by field in tests */
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';
import { hasPostgres, hasRedis, isServicesRequired } from './services.js';
import type { Porta } from '../../src/app.js';
import { ADMIN_APPLICATION_SLUG, ADMIN_CLI_CLIENT_ID, systemActor } from '../../src/actors/index.js';

export const ADMIN_EMAIL = 'root@porta.test';
export const ADMIN_PASSWORD = 'Root-password-1234';

export interface AdminResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface AdminClient {
  /** null for `anonymous()`. */
  userId: string | null;
  token: string | null;
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminResponse<T>>;
  get<T = any>(path: string, headers?: Record<string, string>): Promise<AdminResponse<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminResponse<T>>;
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminResponse<T>>;
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminResponse<T>>;
  delete<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminResponse<T>>;
}

export interface AdminServer {
  server: TestServer;
  porta: Porta;
  url: string;
  superAdmin: AdminClient;
  superAdminUserId: string;
  /** A new active user of the super-admin organization holding exactly these admin roles (may be empty). */
  clientWithRoles(roleSlugs: string[], options?: { email?: string }): Promise<AdminClient>;
  /** A client whose requests carry a token for this user of the super-admin organization. */
  clientFor(userId: string): Promise<AdminClient>;
  /** Requests without an Authorization header. */
  anonymous(): AdminClient;
  /** Requests with this raw Authorization header value (or a bearer of this token). */
  withToken(token: string): AdminClient;
  stop(): Promise<void>;
}

/**
 * A running server after `porta init`, with helpers that call `/api/admin` as admins of given roles.
 * Backends: real PostgreSQL + Redis when reachable (or required), else the embedded ones.
 * Tokens are minted through the super-admin organization's own engine, exactly as a login would store them.
 */
export async function startAdminServer(options: TestServerOptions = {}): Promise<AdminServer> {
  const backends = options.backends ?? (isServicesRequired || (hasPostgres && hasRedis) ? 'services' : 'embedded');
  const server = await startTestServer({ ...options, backends });
  const { porta } = server;
  const init = await porta.services.bootstrap.initialize({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, givenName: 'Root', familyName: 'Admin' });

  const makeClient = (userId: string | null, token: string | null, authorization?: string): AdminClient => {
    const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const auth = authorization ?? (token ? `Bearer ${token}` : undefined);
      const res = await fetch(`${server.url}/api/admin${path}`, {
        method,
        headers: {
          ...(auth ? { Authorization: auth } : {}),
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
      return { status: res.status, headers: res.headers, body: parsed as any };
    };
    return {
      userId,
      token,
      request,
      get: (path, headers) => request('GET', path, undefined, headers),
      post: (path, body, headers) => request('POST', path, body, headers),
      put: (path, body, headers) => request('PUT', path, body, headers),
      patch: (path, body, headers) => request('PATCH', path, body, headers),
      delete: (path, body, headers) => request('DELETE', path, body, headers),
    };
  };

  const clientFor = async (userId: string) => makeClient(userId, await mintAdminToken(porta, userId));

  const clientWithRoles = async (roleSlugs: string[], opts: { email?: string } = {}) => {
    const org = await porta.services.organizations.getSuperAdmin();
    const user = await porta.services.users.create(systemActor(), org.id, {
      email: opts.email ?? `admin-${randomUUID().slice(0, 8)}@porta.test`,
      password: ADMIN_PASSWORD,
      emailVerified: true,
    });
    await grantAdminRoles(porta, user.id, roleSlugs);
    return clientFor(user.id);
  };

  return {
    server,
    porta,
    url: server.url,
    superAdmin: await clientFor(init.user.id),
    superAdminUserId: init.user.id,
    clientWithRoles,
    clientFor,
    anonymous: () => makeClient(null, null),
    withToken: (token: string) => makeClient(null, token, token.includes(' ') ? token : undefined),
    stop: () => server.stop(),
  };
}

/** Assigns roles of the admin application directly in the database (test set-up, not the API under test). */
export async function grantAdminRoles(porta: Porta, userId: string, roleSlugs: string[]): Promise<void> {
  if (roleSlugs.length === 0) return;
  await porta.db.query(
    `INSERT INTO user_roles (user_id, role_id)
     SELECT $1, r.id FROM roles r JOIN applications a ON a.id = r.application_id
      WHERE a.slug = $2 AND r.slug = ANY($3::text[])
     ON CONFLICT DO NOTHING`,
    [userId, ADMIN_APPLICATION_SLUG, roleSlugs],
  );
}

/**
 * Stores an access token for the user through the super-admin engine (grant + access token, as the
 * token endpoint would after a code exchange by the CLI client).
 */
export async function mintAdminToken(porta: Porta, userId: string, options: { expiresIn?: number } = {}): Promise<string> {
  const org = await porta.services.organizations.getSuperAdmin();
  return mintAccessToken(porta, org.id, ADMIN_CLI_CLIENT_ID, userId, options);
}

export async function mintAccessToken(porta: Porta, orgId: string, clientId: string, userId: string, options: { expiresIn?: number } = {}): Promise<string> {
  const org = await porta.services.organizations.getById(orgId);
  return porta.registry.withOrganization(org, async (provider) => {
    const client = await provider.Client.find(clientId);
    if (!client) throw new Error(`client ${clientId} not found in ${org.slug}`);
    const grant = new provider.Grant({ accountId: userId, clientId });
    grant.addOIDCScope('openid profile email');
    const grantId = await grant.save();
    const token = new provider.AccessToken({ accountId: userId, client, grantId, scope: 'openid profile email', gty: 'authorization_code' });
    if (options.expiresIn !== undefined) (token as unknown as { expiresIn: number }).expiresIn = options.expiresIn;
    return token.save();
  });
}
