import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/** Concurrent redemptions per race, and races per artifact, so a lucky interleaving cannot pass. */
const N = 12;
const ROUNDS = 5;

interface TokenReply {
  status: number;
  body: { error?: string; access_token?: string; refresh_token?: string };
}

/**
 * Issue 10 item 1: N concurrent uses of one single-use artifact give exactly one success. On the
 * embedded backends a request runs from the engine's `find` to its `consume` without yielding, so
 * there these races check the answers; test/integration/oidc-adapter.test.ts races those stores directly.
 */
function singleUseRaces(backends: 'embedded' | 'services') {
  let s: TestServer;
  let t: Tenant;

  beforeAll(async () => {
    s = await startTestServer({ backends });
    // Every request comes from one IP: the per-IP limits would answer 429 long before the races end.
    for (const key of ['rate_limit_token_max', 'rate_limit_introspection_max', 'rate_limit_login_max']) {
      await s.porta.services.systemConfig.set(systemActor(), key, '100000');
    }
    t = await createTenant(s.porta.services, 'acme');
  });
  afterAll(() => s?.stop());

  const issuer = () => `${s.url}/${t.slug}`;
  const basic = () => `Basic ${Buffer.from(`${encodeURIComponent(t.confidential.clientId)}:${encodeURIComponent(t.confidential.secret)}`).toString('base64')}`;

  async function post(path: string, form: Record<string, string>): Promise<TokenReply> {
    const res = await fetch(`${issuer()}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: (await res.json()) as TokenReply['body'] };
  }
  const token = (form: Record<string, string>) => post('/auth/token', form);
  const isActive = async (value: string) => ((await post('/auth/token/introspection', { token: value })).body as { active: boolean }).active;

  const rp = () =>
    oidc.discovery(new URL(issuer()), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });

  /** Signs in through the login page; returns the callback's code, its verifier and the signed-in browser. */
  async function signIn(config: oidc.Configuration) {
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await browser.follow(url.toString());
    const done = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD } });
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
    return { browser, verifier, code: new URL(done.location!).searchParams.get('code')! };
  }

  const redeem = (code: string, verifier: string) =>
    token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });

  /** One 200; every other reply is the engine's answer to a sequential reuse, `again`. */
  function expectOneWinner(replies: TokenReply[], again: TokenReply): TokenReply {
    const winners = replies.filter((r) => r.status === 200);
    expect(winners, JSON.stringify(replies.map((r) => r.status))).toHaveLength(1);
    expect(again).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
    for (const loser of replies.filter((r) => r.status !== 200)) expect(loser).toEqual(again);
    return winners[0]!;
  }

  it(`redeems an authorization code once among ${N} concurrent redemptions, then revokes what it issued`, async () => {
    const config = await rp();
    for (let round = 0; round < ROUNDS; round++) {
      const { code, verifier } = await signIn(config);
      const replies = await Promise.all(Array.from({ length: N }, () => redeem(code, verifier)));
      const winner = expectOneWinner(replies, await redeem(code, verifier));
      // The engine's reuse path: the grant goes, with every token the winning redemption issued.
      expect(await isActive(winner.body.access_token!)).toBe(false);
      expect((await token({ grant_type: 'refresh_token', refresh_token: winner.body.refresh_token! })).body.error).toBe('invalid_grant');
    }
  });

  it(`rotates a refresh token once among ${N} concurrent refreshes, then revokes the grant`, async () => {
    const config = await rp();
    for (let round = 0; round < ROUNDS; round++) {
      const { code, verifier } = await signIn(config);
      const first = await redeem(code, verifier);
      expect(first.status).toBe(200);
      const presented = first.body.refresh_token!;
      const refresh = (rt: string) => token({ grant_type: 'refresh_token', refresh_token: rt });
      const replies = await Promise.all(Array.from({ length: N }, () => refresh(presented)));
      const winner = expectOneWinner(replies, await refresh(presented));
      expect(winner.body.refresh_token).not.toBe(presented);
      // No live chain survives: the rotated token and every access token of the grant are dead.
      expect((await refresh(winner.body.refresh_token!)).body.error).toBe('invalid_grant');
      expect(await isActive(winner.body.access_token!)).toBe(false);
      expect(await isActive(first.body.access_token!)).toBe(false);
    }
  });

  it(`authorizes a pushed request_uri once among ${N} concurrent uses`, async () => {
    const config = await rp();
    const { browser } = await signIn(config);
    for (let round = 0; round < ROUNDS; round++) {
      const verifier = oidc.randomPKCECodeVerifier();
      const url = await oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        state: `round-${round}`,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const replies = await Promise.all(Array.from({ length: N }, () => browser.request(url.toString())));
      const callbacks = replies.map((r) => {
        expect(r.status, r.body).toBe(303);
        return new URL(r.location!).searchParams;
      });
      const codes = callbacks.map((p) => p.get('code')).filter((c): c is string => c !== null);
      expect(codes, JSON.stringify(replies.map((r) => r.location))).toHaveLength(1);
      const again = new URL((await browser.request(url.toString())).location!).searchParams;
      expect(again.get('error')).toBe('invalid_request_uri');
      for (const loser of callbacks.filter((p) => !p.has('code'))) {
        // The engine's own refusal of a used request_uri; found used in `respond`, it also knows the state.
        expect(loser.get('error')).toBe('invalid_request_uri');
        expect(loser.get('error_description')).toBe(again.get('error_description'));
        expect([null, `round-${round}`]).toContain(loser.get('state'));
      }
      expect((await redeem(codes[0]!, verifier)).status).toBe(200);
    }
  });
}

describe('single use under concurrency (embedded PostgreSQL + in-process store)', () => singleUseRaces('embedded'));
describeWithServices('single use under concurrency (PostgreSQL + Redis)', () => singleUseRaces('services'));
