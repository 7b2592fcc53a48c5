import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI } from '../support/oidc-fixtures.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-keys-upgrade-'));
/** One embedded installation, started twice on the same data directory, as an upgrade does. */
const start = () => startTestServer({ useConfiguredStores: true, env: { PORTA_DATA_DIR: dataDir } });

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function idToken(s: TestServer, slug: string, client: { clientId: string; secret: string }, email: string): Promise<string> {
  const config = await oidc.discovery(new URL(`${s.url}/${slug}`), client.clientId, undefined, oidc.ClientSecretBasic(client.secret), { execute: [oidc.allowInsecureRequests] });
  const browser = new HttpBrowser(s.url);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const page = await browser.follow(url.toString());
  const done = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email, password: PASSWORD } });
  return (await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier })).id_token!;
}

const jwksOf = async (s: TestServer, slug: string) => (await (await fetch(`${s.url}/${slug}/auth/jwks`)).json()) as JSONWebKeySet;

// Spec 70 §5: an installation made when Porta signed with ES256 only gets its RSA key on its first start
// after the upgrade; its ES256 key, and every token it signed, stay valid.
describe('upgrading an installation whose only signing key is ES256', { timeout: 120_000 }, () => {
  it('adds an RS256 key at start, keeps the ES256 key, and a token signed before still verifies against the JWKS', async () => {
    const before = await start();
    let es: { clientId: string; secret: string };
    let slug: string;
    let email: string;
    let oldToken: string;
    let esKid: string;
    let issuer: string;
    try {
      const t = await createTenant(before.porta.services, 'upgrade-co');
      [slug, email, issuer] = [t.slug, t.email, `${before.url}/${t.slug}`];
      const made = await before.porta.services.clients.create(systemActor(), t.orgId, {
        applicationId: t.appId, clientName: 'Registered before', clientType: 'confidential', applicationType: 'web',
        redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code'], scope: 'openid', idTokenSignedResponseAlg: 'ES256',
      });
      es = { clientId: made.client.clientId, secret: made.secret!.plaintext };
      oldToken = await idToken(before, slug, es, email);
      esKid = decodeProtectedHeader(oldToken).kid!;
      // The key table as the previous version left it: one ES256 key.
      await before.porta.db.query("DELETE FROM signing_keys WHERE algorithm <> 'ES256'");
      expect((await before.porta.services.keys.list()).map((k) => [k.kid, k.algorithm, k.status])).toEqual([[esKid, 'ES256', 'active']]);
    } finally {
      await before.stop();
    }

    const after = await start();
    try {
      const keys = await after.porta.services.keys.list();
      expect(keys.map((k) => [k.algorithm, k.status])).toEqual([['RS256', 'active'], ['ES256', 'active']]);
      expect(keys[1]!.kid).toBe(esKid);

      const jwks = await jwksOf(after, slug!);
      expect(jwks.keys.map((k) => [k.kty, k.kid])).toEqual([['RSA', keys[0]!.kid], ['EC', esKid]]);
      const { protectedHeader } = await jwtVerify(oldToken!, createLocalJWKSet(jwks), { issuer: issuer!, audience: es!.clientId });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: esKid });

      // The client registered for ES256 keeps getting ES256 ID tokens from the same key.
      expect(decodeProtectedHeader(await idToken(after, slug!, es!, email!))).toMatchObject({ alg: 'ES256', kid: esKid });
    } finally {
      await after.stop();
    }
  });
});
