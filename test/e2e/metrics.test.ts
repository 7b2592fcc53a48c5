import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { createPorta } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createEmbeddedDb } from '../../src/platform/db/index.js';
import { createMemoryKv } from '../../src/platform/kv/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

type Samples = Map<string, number>;

/** The Prometheus text format as `name{labels}` → value, labels in the order the registry writes them. */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const THRESHOLD = 3;
const TOKEN_LIMIT = 4;

/** Issue 11 item 9: each operator metric moves when its event happens, read over GET /metrics. */
function metricsSuite(backends: 'embedded' | 'services') {
  let s: TestServer;
  let t: Tenant;

  beforeAll(async () => {
    s = await startTestServer({ backends, env: { METRICS_ENABLED: 'true' } });
    t = await createTenant(s.porta.services, `metrics-${backends}`);
    await s.porta.services.users.create(systemActor(), t.orgId, { email: 'bob@example.com', password: PASSWORD, emailVerified: true });
    await s.porta.services.systemConfig.set(systemActor(), 'account_lockout_threshold', String(THRESHOLD));
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', String(TOKEN_LIMIT));
  });
  afterAll(() => s?.stop());

  const scrape = async () => {
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    return parse(await res.text());
  };
  /** What each named series gained between two scrapes (a series absent before counts from 0). */
  const gained = (before: Samples, after: Samples, names: string[]) => Object.fromEntries(names.map((n) => [n, (after.get(n) ?? 0) - (before.get(n) ?? 0)]));

  const rp = () =>
    oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] });

  /** A login page of a fresh code flow and a way to submit it. */
  async function openLogin(config: oidc.Configuration) {
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid email offline_access', prompt: 'consent', state: 'st',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    let page = await browser.follow(url.toString());
    expect(page.body).toContain('name="password"');
    /** Submits the form of the page shown last: a refused attempt shows it again with a new CSRF token. */
    const submit = async (email: string, password: string) => {
      const res = await browser.request(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email, password } });
      if (res.body.includes('name="password"')) page = res;
      return res;
    };
    return { browser, verifier, submit };
  }

  it('counts sign-ins by outcome, tokens by grant type, and keeps engines and store timings', async () => {
    const before = await scrape();
    const config = await rp();
    const { browser, verifier, submit } = await openLogin(config);
    expect((await submit(t.email, 'wrong password')).status).toBe(401);
    const signedIn = await submit(t.email, PASSWORD);
    expect(signedIn.status).toBe(303);
    const callback = await browser.follow(signedIn.location!);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier, expectedState: 'st' });
    await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    await oidc.clientCredentialsGrant(config);
    // An administrative write: a use case's transaction (a sign-in and its tokens need none).
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', String(TOKEN_LIMIT));
    const after = await scrape();

    expect(gained(before, after, [
      'porta_logins_total{method="password",outcome="success"}',
      'porta_logins_total{method="password",outcome="failure"}',
      'porta_tokens_issued_total{grant_type="authorization_code",token_type="access_token"}',
      'porta_tokens_issued_total{grant_type="authorization_code",token_type="id_token"}',
      'porta_tokens_issued_total{grant_type="authorization_code",token_type="refresh_token"}',
      'porta_tokens_issued_total{grant_type="refresh_token",token_type="access_token"}',
      'porta_tokens_issued_total{grant_type="refresh_token",token_type="refresh_token"}',
      'porta_tokens_issued_total{grant_type="client_credentials",token_type="access_token"}',
      'porta_tokens_issued_total{grant_type="client_credentials",token_type="id_token"}',
    ])).toEqual({
      'porta_logins_total{method="password",outcome="success"}': 1,
      'porta_logins_total{method="password",outcome="failure"}': 1,
      'porta_tokens_issued_total{grant_type="authorization_code",token_type="access_token"}': 1,
      'porta_tokens_issued_total{grant_type="authorization_code",token_type="id_token"}': 1,
      'porta_tokens_issued_total{grant_type="authorization_code",token_type="refresh_token"}': 1,
      'porta_tokens_issued_total{grant_type="refresh_token",token_type="access_token"}': 1,
      'porta_tokens_issued_total{grant_type="refresh_token",token_type="refresh_token"}': 1,
      'porta_tokens_issued_total{grant_type="client_credentials",token_type="access_token"}': 1,
      'porta_tokens_issued_total{grant_type="client_credentials",token_type="id_token"}': 0,
    });
    // One organization served: one engine kept, built once.
    expect(after.get('porta_oidc_engines')).toBe(1);
    expect(after.get('porta_oidc_engine_builds_total')).toBe(1);
    // Every statement and store operation is timed by kind, never by its text or key.
    const timed = gained(before, after, [
      'porta_db_query_duration_seconds_count{operation="select"}',
      'porta_db_query_duration_seconds_count{operation="insert"}',
      'porta_db_query_duration_seconds_count{operation="update"}',
      'porta_db_query_duration_seconds_count{operation="transaction"}',
      'porta_kv_operation_duration_seconds_count{operation="get"}',
      'porta_kv_operation_duration_seconds_count{operation="set"}',
      'porta_kv_operation_duration_seconds_count{operation="increment"}',
    ]);
    for (const [name, count] of Object.entries(timed)) expect(count, name).toBeGreaterThan(0);
    expect(after.get('porta_db_query_duration_seconds_sum{operation="select"}')).toBeGreaterThan(0);
    expect([...after.keys()].filter((k) => k.includes('SELECT') || k.includes(t.orgId) || k.includes(t.confidential.clientId))).toEqual([]);
  });

  it('counts an automatic lockout, and the attempts before and after it as failures', async () => {
    const before = await scrape();
    const { submit } = await openLogin(await rp());
    for (let i = 0; i < THRESHOLD + 1; i++) expect((await submit('bob@example.com', 'guess')).status).toBe(401);
    // The attempt refused because of the lock is a failure like the others: the outcome never says why.
    expect(gained(before, await scrape(), ['porta_lockouts_total', 'porta_logins_total{method="password",outcome="failure"}'])).toEqual({
      porta_lockouts_total: 1,
      'porta_logins_total{method="password",outcome="failure"}': THRESHOLD + 1,
    });
  });

  it('counts requests refused by a rate limit, by scope', async () => {
    const before = await scrape();
    let status = 0;
    for (let i = 0; i <= TOKEN_LIMIT && status !== 429; i++) {
      status = (await fetch(`${s.url}/${t.slug}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).status;
    }
    expect(status).toBe(429);
    expect(gained(before, await scrape(), ['porta_rate_limit_rejections_total{scope="token"}', 'porta_rate_limit_rejections_total{scope="login"}'])).toEqual({
      'porta_rate_limit_rejections_total{scope="token"}': 1,
      'porta_rate_limit_rejections_total{scope="login"}': 0,
    });
  });
}

describe('operator metrics: embedded backends', () => metricsSuite('embedded'));
describeWithServices('operator metrics: PostgreSQL and Redis', () => metricsSuite('services'));

describe('without METRICS_ENABLED', () => {
  it('hands the stores to the services as they are: no timing layer on any query', async () => {
    const config = loadConfig({ NODE_ENV: 'test', COOKIE_KEYS: 'test-cookie-key-0123456789abcdef', PORTA_DATA_DIR: '/nonexistent' });
    const db = await createEmbeddedDb({ dataDir: 'memory://' });
    const kv = createMemoryKv();
    const porta = await createPorta({ config, db, kv, surface: 'admin' });
    try {
      expect(porta.db).toBe(db);
      expect(porta.kv).toBe(kv);
    } finally {
      await porta.close();
    }
  });
});
