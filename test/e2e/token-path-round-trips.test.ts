import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { basicAuthOf, pkceAuthorization, spyDb, spyKv } from '../support/store-spies.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/** What a request sent to the stores: `kv.<operation> <key>` and `db <statement's first words>`. */
let seen: string[] | null = null;

/**
 * Issue 13: a token request's work in the stores, one operation each for what must be shared between
 * instances, nothing that a per-process cache or the request's own earlier reads can answer. The once-a-
 * second checks of the caches' shared counters are left out: they are not per request.
 */
function tokenPathRoundTrips(backends: 'embedded' | 'services') {
  let s: TestServer;
  let t: Tenant;
  let tokens: { access_token: string; refresh_token: string };

  beforeAll(async () => {
    s = await startTestServer({ backends, wrapStores: { db: (db) => spyDb(db, (sql) => seen?.push(`db ${sql.slice(0, 60)}`)), kv: (kv) => spyKv(kv, (op) => seen?.push(op)) } });
    for (const key of ['rate_limit_token_max', 'rate_limit_introspection_max']) {
      await s.porta.services.systemConfig.set(systemActor(), key, '100000');
    }
    t = await createTenant(s.porta.services, 'acme');
    tokens = await signIn();
  });
  afterAll(() => s?.stop());

  const post = async (path: string, form: Record<string, string>) => {
    const res = await fetch(`${s.url}/${t.slug}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuthOf(t) },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  async function signIn() {
    const browser = new HttpBrowser(s.url);
    const { path, verifier } = pkceAuthorization(t);
    const page = await browser.follow(path);
    const done = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD } });
    const code = new URL(done.location!).searchParams.get('code')!;
    const reply = await post('/auth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    return reply.body as { access_token: string; refresh_token: string };
  }

  /** The store operations of one request, the second of two alike (the first fills the caches). */
  async function operationsOf(request: () => Promise<{ status: number }>): Promise<string[]> {
    expect((await request()).status).toBe(200);
    seen = [];
    const { status } = await request();
    // Background work of the request (a secret's last use, at most once a minute) is not waited for.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const ops = seen.filter((op) => !/ \S*version$/.test(op));
    seen = null;
    expect(status).toBe(200);
    return ops;
  }

  it('client credentials: the rate-limit counter and the token, one Kv operation each', async () => {
    const ops = await operationsOf(() => post('/auth/token', { grant_type: 'client_credentials' }));
    expect(ops.filter((op) => !op.startsWith('kv.get cache:org:'))).toEqual([
      expect.stringMatching(/^kv\.increment ratelimit:token:/),
      expect.stringMatching(/^kv\.set oidc:ClientCredentials:/),
    ]);
  });

  it('introspection: the counter, then one statement for the token and its grant', async () => {
    const ops = await operationsOf(() => post('/auth/token/introspection', { token: tokens.access_token }));
    expect(ops.filter((op) => !op.startsWith('kv.get cache:org:'))).toEqual([
      expect.stringMatching(/^kv\.increment ratelimit:introspection:/),
      expect.stringMatching(/^db SELECT id, type, payload, consumed_at FROM/),
    ]);
  });

  it('refresh: the counter, the token with its grant, the account with its claims, the rotation in one statement and the access token', async () => {
    let current = tokens.refresh_token;
    const ops = await operationsOf(async () => {
      const reply = await post('/auth/token', { grant_type: 'refresh_token', refresh_token: current });
      current = reply.body.refresh_token as string;
      return reply;
    });
    const statements = ops.filter((op) => op.startsWith('db '));
    expect(ops.filter((op) => op.startsWith('kv.') && !op.startsWith('kv.get cache:org:'))).toEqual([expect.stringMatching(/^kv\.increment ratelimit:token:/)]);
    expect(statements).toHaveLength(4);
    expect(statements[0]).toMatch(/^db SELECT id, type, payload, consumed_at FROM/);
    // findAccount reads the user's row with its roles, permissions and custom claims (issue 13): no claims statement of its own.
    expect(statements.filter((op) => /\busers\b|json_agg/.test(op))).toEqual([expect.stringMatching(/^db SELECT u\.\*, \(SELECT coalesce\(json_agg/)]);
    expect(statements.filter((op) => op.startsWith('db WITH consumed AS ( UPDATE oidc_payloads'))).toHaveLength(1);
    expect(statements.filter((op) => op.startsWith('db INSERT INTO oidc_payloads'))).toHaveLength(1);
  });
}

describe('token path round trips (embedded PostgreSQL + in-process store)', () => tokenPathRoundTrips('embedded'));
describeWithServices('token path round trips (PostgreSQL + Redis)', () => tokenPathRoundTrips('services'));
