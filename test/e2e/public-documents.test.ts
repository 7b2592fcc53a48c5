import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { runPorta } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers that differ between any two answers. */
const PER_REQUEST = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

const sameHeaders = (a: Answer) => Object.fromEntries(Object.entries(a.headers).filter(([name]) => !PER_REQUEST.has(name)));

/**
 * Issue 13: discovery and JWKS answered from bytes the organization's engine produced, with a strong
 * ETag, 304 on a match, and a new document as soon as what it is built from changes.
 */
function publicDocuments(backends: 'embedded' | 'services') {
  let s: TestServer;
  let slugA: string;
  let slugB: string;
  let orgA: string;

  async function get(urlPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
    const res = await fetch(`${s.url}${urlPath}`, { method, headers });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) };
  }
  const json = (a: Answer) => JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;
  const kids = async (slug: string) => (json(await get(`/${slug}/auth/jwks`)).keys as Array<{ kid: string }>).map((k) => k.kid).sort();

  beforeAll(async () => {
    s = await startTestServer({ backends });
    const { organizations } = s.porta.services;
    const stamp = Date.now().toString(36);
    slugA = `docs-a-${stamp}`;
    slugB = `docs-b-${stamp}`;
    orgA = (await organizations.create(systemActor(), { name: 'Docs A', slug: slugA })).id;
    await organizations.create(systemActor(), { name: 'Docs B', slug: slugB });
  });
  afterAll(() => s?.stop());

  it("answers the engine's document first and the same bytes and headers from then on, for GET and HEAD", async () => {
    const locations = {
      // The canonical locations are replayed ahead of Koa, the other spellings answered by the middleware.
      discovery: [
        `/${slugA}/.well-known/openid-configuration`, `/${slugA}/.well-known/oauth-authorization-server`, `/.well-known/oauth-authorization-server/${slugA}`,
        `/${slugA}/.well-known/OpenID-Configuration/`, `/${slugA}/.well-known/openid-configuration?x=1`,
      ],
      jwks: [`/${slugA}/auth/jwks`, `/${slugA}/auth/jwks/`, `/${slugA}/Auth/JWKS`, `/${slugA}/auth/jwks?x=1`],
    };
    for (const [kind, paths] of Object.entries(locations)) {
      const fresh = await get(paths[0]!);
      expect(fresh.status).toBe(200);
      // What Koa sends for the engine's object: compact JSON.
      expect(fresh.body.toString('utf8')).toBe(JSON.stringify(json(fresh)));
      expect(fresh.headers).toMatchObject({
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
        'content-type': kind === 'jwks' ? 'application/jwk-set+json; charset=utf-8' : 'application/json; charset=utf-8',
        'content-length': String(fresh.body.length),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      });
      expect(fresh.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect(fresh.headers).not.toHaveProperty('vary');
      expect(fresh.headers).not.toHaveProperty('set-cookie');
      for (const later of [...paths, ...paths]) {
        const cached = await get(later);
        expect(cached.status).toBe(200);
        expect(cached.body.equals(fresh.body)).toBe(true);
        expect(sameHeaders(cached)).toEqual(sameHeaders(fresh));
      }
      const head = await get(paths[0]!, {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect(sameHeaders(head)).toEqual(sameHeaders(fresh));
    }
    expect(json(await get(locations.discovery[0]!))).toMatchObject({ issuer: `${s.url}/${slugA}`, jwks_uri: `${s.url}/${slugA}/auth/jwks` });
  });

  it('answers a matching If-None-Match with 304 and no body, any other with the document', async () => {
    for (const urlPath of [`/${slugA}/.well-known/openid-configuration`, `/${slugA}/auth/jwks`]) {
      const full = await get(urlPath, { origin: 'https://rp.example' });
      const etag = full.headers.etag!;
      for (const condition of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        for (const method of ['GET', 'HEAD']) {
          const unchanged = await get(urlPath, { 'if-none-match': condition, origin: 'https://rp.example' }, method);
          expect(unchanged.status).toBe(304);
          expect(unchanged.body.length).toBe(0);
          expect(unchanged.headers).toMatchObject({ etag, 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' });
          expect(unchanged.headers).not.toHaveProperty('content-type');
          expect(unchanged.headers).not.toHaveProperty('vary');
        }
      }
      const changed = await get(urlPath, { 'if-none-match': `"${'x'.repeat(43)}"` });
      expect(changed.status).toBe(200);
      expect(changed.body.equals(full.body)).toBe(true);
    }
  });

  it("leaves CORS preflights to the engine, which allows any origin to GET", async () => {
    for (const urlPath of [`/${slugA}/.well-known/openid-configuration`, `/${slugA}/auth/jwks`]) {
      const preflight = await get(urlPath, { origin: 'https://rp.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
      expect(preflight.status).toBe(204);
      expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': 'https://rp.example', 'access-control-allow-methods': 'GET', 'access-control-max-age': '3600' });
      expect(preflight.headers).not.toHaveProperty('etag');
    }
  });

  it("never serves one organization's discovery document for another", async () => {
    const a = await get(`/${slugA}/.well-known/openid-configuration`);
    for (let round = 0; round < 3; round++) {
      const b = await get(`/${slugB}/.well-known/openid-configuration`);
      expect(json(b)).toMatchObject({ issuer: `${s.url}/${slugB}`, token_endpoint: `${s.url}/${slugB}/auth/token` });
      expect(b.body.toString('utf8')).not.toContain(slugA);
      expect(b.headers.etag).not.toBe(a.headers.etag);
      // Org A's tag does not match org B's document.
      expect((await get(`/${slugB}/.well-known/openid-configuration`, { 'if-none-match': a.headers.etag! })).status).toBe(200);
      expect(json(await get(`/.well-known/oauth-authorization-server/${slugA}`)).issuer).toBe(`${s.url}/${slugA}`);
    }
    // One key set for every organization (spec 10 §12).
    expect((await get(`/${slugB}/auth/jwks`)).body.equals((await get(`/${slugA}/auth/jwks`)).body)).toBe(true);
  });

  it('publishes a generated key at once, and drops a retired one, with a new tag each time', async () => {
    const { keys } = s.porta.services;
    const before = await get(`/${slugA}/auth/jwks`);
    const generated = await keys.generate(systemActor(), { algorithm: 'ES256' });
    const after = await get(`/${slugA}/auth/jwks`);
    expect(await kids(slugA)).toContain(generated.kid);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect((await get(`/${slugA}/auth/jwks`, { 'if-none-match': before.headers.etag! })).status).toBe(200);
    expect(await kids(slugB)).toContain(generated.kid);

    const rotation = await keys.rotate(systemActor(), { algorithm: 'ES256' });
    expect(rotation.retiredKids.length).toBeGreaterThan(0);
    const rotated = await kids(slugA);
    expect(rotated).toContain(generated.kid);
    for (const retired of rotation.retiredKids) expect(rotated).not.toContain(retired);
    expect((await get(`/${slugA}/auth/jwks`)).headers.etag).not.toBe(after.headers.etag);
  });

  it('advertises dynamic registration as soon as it is turned on, and stops when it is turned off', async () => {
    const { organizations } = s.porta.services;
    const off = await get(`/${slugA}/.well-known/openid-configuration`);
    expect(json(off)).not.toHaveProperty('registration_endpoint');
    await organizations.update(systemActor(), orgA, { dynamicRegistration: true });
    const on = await get(`/${slugA}/.well-known/openid-configuration`);
    expect(json(on).registration_endpoint).toBe(`${s.url}/${slugA}/auth/register`);
    expect(on.headers.etag).not.toBe(off.headers.etag);
    expect(json(await get(`/.well-known/oauth-authorization-server/${slugA}`)).registration_endpoint).toBe(`${s.url}/${slugA}/auth/register`);
    expect(json(await get(`/${slugB}/.well-known/openid-configuration`))).not.toHaveProperty('registration_endpoint');
    await organizations.update(systemActor(), orgA, { dynamicRegistration: false });
    const offAgain = await get(`/${slugA}/.well-known/openid-configuration`);
    expect(json(offAgain)).not.toHaveProperty('registration_endpoint');
    // The same inputs give the same bytes, hence the same tag.
    expect(offAgain.body.equals(off.body)).toBe(true);
    expect(offAgain.headers.etag).toBe(off.headers.etag);
  });

  it('lists a new custom claim in claims_supported at once', async () => {
    const { applications, rbac } = s.porta.services;
    const before = json(await get(`/${slugA}/.well-known/openid-configuration`)).claims_supported as string[];
    const app = await applications.create(systemActor(), { name: 'Docs claims', slug: `docs-claims-${Date.now().toString(36)}` });
    await rbac.createClaim(systemActor(), app.id, { claimName: 'cost_center', claimType: 'string' });
    expect(before).not.toContain('cost_center');
    expect(json(await get(`/${slugA}/.well-known/openid-configuration`)).claims_supported).toContain('cost_center');
    expect(json(await get(`/${slugB}/.well-known/openid-configuration`)).claims_supported).toContain('cost_center');
  });

  it('keeps answering 403 for a suspended and 404 for an archived organization, cached documents or not', async () => {
    const { organizations } = s.porta.services;
    const slug = `docs-c-${Date.now().toString(36)}`;
    const org = await organizations.create(systemActor(), { name: 'Docs C', slug });
    const paths = [`/${slug}/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server/${slug}`, `/${slug}/auth/jwks`];
    for (const p of paths) expect((await get(p)).status).toBe(200);
    await organizations.suspend(systemActor(), org.id);
    for (const p of paths) {
      const suspended = await get(p);
      expect(suspended.status).toBe(403);
      expect(json(suspended)).toMatchObject({ error: 'organization_suspended' });
      expect(suspended.headers).not.toHaveProperty('etag');
    }
    await organizations.activate(systemActor(), org.id);
    for (const p of paths) expect((await get(p)).status).toBe(200);
    await organizations.archive(systemActor(), org.id);
    for (const p of paths) {
      const archived = await get(p);
      expect(archived.status).toBe(404);
      expect(json(archived)).toEqual({ error: 'not_found', message: 'Not found.' });
    }
  });

  if (backends === 'services') {
    it('publishes a key generated by another process (the CLI on the same database) within seconds', { timeout: 120_000 }, async () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-docs-home-'));
      try {
        const before = await kids(slugA);
        const { database, kv } = s.config;
        if (database.kind !== 'postgres' || kv.kind !== 'redis') throw new Error('services backends expected');
        const env: NodeJS.ProcessEnv = {
          ...process.env, HOME: home, XDG_CONFIG_HOME: home, NODE_ENV: 'development', PORTA_DATA_DIR: home,
          DATABASE_URL: database.url, REDIS_URL: kv.url, REDIS_KEY_PREFIX: kv.keyPrefix,
        };
        delete env.PORTA_SERVER;
        const run = await runPorta(['keys', 'generate', '--alg', 'RS256', '--json', '--direct'], { env });
        expect(run.status, run.stderr).toBe(0);
        const kid = (JSON.parse(run.stdout) as { data: { kid: string } }).data.kid;
        expect(before).not.toContain(kid);
        const deadline = Date.now() + 10_000;
        while (!(await kids(slugA)).includes(kid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        expect(await kids(slugA)).toContain(kid);
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    });
  }
}

describe('discovery and JWKS from precomputed bytes (embedded PostgreSQL + in-process store)', () => publicDocuments('embedded'));
describeWithServices('discovery and JWKS from precomputed bytes (PostgreSQL + Redis)', () => publicDocuments('services'));
