import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { basicAuthOf, pkceAuthorization, spyKv } from '../support/store-spies.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/** The Kv operations of the HTTP request being made: `kv.<operation> <key>`, one list per request. */
let requests: Array<{ request: string; ops: string[] }> | null = null;

/** An operation with its key's random last part (an id, uid, grant id or hashed counter) left out. */
const shape = (op: string) => op.replace(/:[^:\s]+$/, ':*');

/**
 * Issue 13: the Kv operations of a warm code + PKCE sign-in (authorize, login page, login, consent,
 * code, token exchange), request by request. Nothing a per-process cache holds (branding versions,
 * organizations, clients) is read from the store, no request reads a key twice (the engine's repeated
 * finds of an interaction or session are answered from the request's first read), and the code is read
 * once on exchange (its compare-and-set uses that read). The caches' once-a-second counter checks are
 * left out: they are not per request.
 */
function loginKvOperations(backends: 'embedded' | 'services') {
  let s: TestServer;
  let t: Tenant;

  beforeAll(async () => {
    s = await startTestServer({ backends, wrapStores: { kv: (kv) => spyKv(kv, (op) => requests?.at(-1)?.ops.push(op)) } });
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_login_max', '1000');
    t = await createTenant(s.porta.services, 'acme');
  });
  afterAll(() => s?.stop());

  async function signIn(): Promise<void> {
    const browser = new HttpBrowser(s.url);
    const request = browser.request.bind(browser);
    browser.request = (url, init) => {
      requests?.push({ request: `${init?.form ? 'POST' : 'GET'} ${new URL(url, s.url).pathname.replace(/\/[\w-]{20,}(?=\/|$)/, '/:uid')}`, ops: [] });
      return request(url, init);
    };
    const { path, verifier } = pkceAuthorization(t);
    const page = await browser.follow(path);
    const done = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD } });
    const code = new URL(done.location!).searchParams.get('code')!;
    requests?.push({ request: 'POST /acme/auth/token', ops: [] });
    const res = await fetch(`${s.url}/${t.slug}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuthOf(t) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
    });
    expect(res.status).toBe(200);
  }

  /** The third sign-in's operations (the first two fill the caches), by request. */
  async function warmSignIn(): Promise<Array<{ request: string; ops: string[] }>> {
    await signIn();
    await signIn();
    requests = [];
    await signIn();
    // Background work of a request (the session mirror, a secret's last use) is not waited for.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const measured = requests.map(({ request, ops }) => ({ request, ops: ops.filter((op) => !/ \S*version$/.test(op)) }));
    requests = null;
    return measured;
  }

  it('reads nothing twice per request, no branding from the store, the code once', async () => {
    const steps = await warmSignIn();
    expect(steps.map((step) => step.request)).toEqual([
      'GET /acme/auth/authorize', // a new interaction
      'GET /acme/interaction/:uid', // the login page
      'POST /acme/interaction/:uid/login', // the login
      'GET /acme/auth/authorize/:uid', // resume: the session, the consent interaction
      'GET /acme/interaction/:uid', // consent, granted at once for this first-party client
      'GET /acme/auth/authorize/:uid', // resume: the code, the session rotated
      'POST /acme/auth/token',
    ]);
    const all = steps.flatMap((step) => step.ops);
    expect(all.filter((op) => op.includes('cache:branding'))).toEqual([]);
    expect(all.filter((op) => op.includes('cache:'))).toEqual([]);
    for (const { request, ops } of steps) {
      const reads = ops.filter((op) => op.startsWith('kv.get '));
      expect({ request, reads }).toEqual({ request, reads: [...new Set(reads)] });
    }
    // Interactions are never revoked by grant: no grant set is kept for them.
    expect(all.filter((op) => op.includes('oidc:grant:Interaction'))).toEqual([]);

    const oidc = steps.map(({ request, ops }) => ({ request, ops: ops.filter((op) => op.includes(' oidc:')).map(shape) }));
    expect(oidc).toEqual([
      { request: 'GET /acme/auth/authorize', ops: ['kv.set oidc:Interaction:*'] },
      { request: 'GET /acme/interaction/:uid', ops: ['kv.get oidc:Interaction:*'] },
      { request: 'POST /acme/interaction/:uid/login', ops: ['kv.get oidc:Interaction:*', 'kv.set oidc:Interaction:*'] },
      {
        request: 'GET /acme/auth/authorize/:uid',
        ops: ['kv.get oidc:Interaction:*', 'kv.delete oidc:Interaction:*', 'kv.set oidc:Interaction:*', 'kv.set oidc:Session:*', 'kv.set oidc:Session:uid:*'],
      },
      {
        request: 'GET /acme/interaction/:uid',
        ops: ['kv.get oidc:Interaction:*', 'kv.get oidc:Session:uid:*', 'kv.get oidc:Session:*', 'kv.set oidc:Interaction:*'],
      },
      {
        request: 'GET /acme/auth/authorize/:uid',
        ops: [
          'kv.get oidc:Session:*', 'kv.get oidc:Interaction:*', 'kv.delete oidc:Interaction:*',
          'kv.set oidc:AuthorizationCode:*', 'kv.setAdd oidc:grant:AuthorizationCode:*',
          // The rotated session: the old one and its index in one delete, then the new one and its index.
          'kv.get oidc:Session:uid:*', 'kv.delete oidc:Session:*', 'kv.set oidc:Session:*', 'kv.set oidc:Session:uid:*',
        ],
      },
      { request: 'POST /acme/auth/token', ops: ['kv.get oidc:AuthorizationCode:*', 'kv.compareAndSet oidc:AuthorizationCode:*'] },
    ]);
    // The token exchange: its rate-limit counter, then the code read once and consumed against that read.
    expect(steps.at(-1)!.ops.map(shape)).toEqual([
      'kv.increment ratelimit:token:*',
      'kv.get oidc:AuthorizationCode:*',
      'kv.compareAndSet oidc:AuthorizationCode:*',
    ]);
  });
}

describe('login Kv operations (embedded PostgreSQL + in-process store)', () => loginKvOperations('embedded'));
describeWithServices('login Kv operations (PostgreSQL + Redis)', () => loginKvOperations('services'));
