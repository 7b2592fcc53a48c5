import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { createTestDatabase, createTestRedisNamespace, describeWithServices, type TestDatabase, type TestRedisNamespace } from '../support/services.js';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1: server, 2: client (OpenTelemetry's SpanKind). */
  kind: number;
  scope: string;
  attributes: Record<string, unknown>;
}

const SERVER = 1;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A Porta process on PostgreSQL and Redis with tracing on; resolves with the first JSON line it prints. */
async function startProcess(script: string, env: Record<string, string>, children: ChildProcess[]): Promise<{ line: Record<string, unknown>; stderr: () => string }> {
  const child = spawn(tsx, [script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const json = out.split('\n').find((l) => l.startsWith('{'));
      if (json) resolve(JSON.parse(json) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${err}`)));
  });
  return { line, stderr: () => err };
}

/** True when `span` sits below `ancestor` in its trace. */
function descendsFrom(span: Span, ancestor: Span, byId: Map<string, Span>): boolean {
  for (let at: Span | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) {
    if (at.parentSpanId === ancestor.spanId) return true;
  }
  return false;
}

describeWithServices('OpenTelemetry traces (a real process, PostgreSQL and Redis)', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  let database: TestDatabase;
  let ns: TestRedisNamespace;

  beforeAll(async () => {
    database = await createTestDatabase();
    ns = createTestRedisNamespace();
  });
  afterAll(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    await database?.drop();
    await ns?.clear();
  });

  const envFor = async (extra: Record<string, string>) => {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-traces-'));
    dirs.push(dataDir);
    return {
      NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', ISSUER_BASE_URL: `http://127.0.0.1:${port}`, PORTA_DATA_DIR: dataDir,
      COOKIE_KEYS: 'test-cookie-key-0123456789abcdef', DATABASE_URL: database.url, REDIS_URL: ns.url, REDIS_KEY_PREFIX: ns.keyPrefix,
      PORTA_AUTO_MIGRATE: 'true', LOG_LEVEL: 'warn', ...extra,
    };
  };

  it('a password sign-in is one trace: the HTTP server span with PostgreSQL and Redis spans below it', { timeout: 90_000 }, async () => {
    const env = await envFor({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    const { line } = await startProcess(path.join(root, 'test/support/fixtures/traced-server.ts'), env, children);
    const url = line.url as string;
    const tenant = line.tenant as Tenant;

    const config = await oidc.discovery(new URL(`${url}/${tenant.slug}`), tenant.confidential.clientId, undefined, oidc.ClientSecretBasic(tenant.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const browser = new HttpBrowser(url);
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const page = await browser.follow(authorize.toString());
    expect(page.body).toContain('name="password"');
    const signedIn = await browser.request(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: tenant.email, password: PASSWORD } });
    expect(signedIn.status).toBe(303);
    const callback = await browser.follow(signedIn.location!);
    expect(callback.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);

    // A hint in a query string (personal data) is redacted before it reaches a span.
    await fetch(`${url}/${tenant.slug}/auth/authorize?client_id=${tenant.confidential.clientId}&login_hint=${encodeURIComponent(tenant.email)}`, { redirect: 'manual' });
    const spans = (await (await fetch(`${url}/test/spans`)).json()) as Span[];
    expect(spans.some((s) => String(s.attributes['url.query']).includes('login_hint=REDACTED'))).toBe(true);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const login = spans.find((s) => s.kind === SERVER && s.attributes['http.request.method'] === 'POST' && /\/interaction\/[^/]+\/login$/.test(String(s.attributes['url.path'])));
    expect(login, 'the HTTP server span of the login POST').toBeDefined();
    const below = spans.filter((s) => s.traceId === login!.traceId && descendsFrom(s, login!, byId));
    const scopes = new Set(below.map((s) => s.scope));
    expect(scopes).toContain('@opentelemetry/instrumentation-pg');
    expect(scopes).toContain('@opentelemetry/instrumentation-ioredis');
    expect(scopes).toContain('@opentelemetry/instrumentation-koa');
    expect(below.some((s) => s.scope === '@opentelemetry/instrumentation-pg' && /^pg\.query/.test(s.name))).toBe(true);

    // Spans carry statements and command names, never what the user typed or a credential.
    const exported = JSON.stringify(spans);
    expect(exported).not.toContain(PASSWORD);
    expect(exported).not.toContain(tenant.email);
    expect(exported).not.toContain(new URL(callback.location!).searchParams.get('code'));
    expect(spans.some((s) => s.attributes['url.path'] === '/health')).toBe(false);
  });

  it('main.ts exports to the OTLP endpoint named by OTEL_EXPORTER_OTLP_ENDPOINT', { timeout: 90_000 }, async () => {
    const received: unknown[] = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const env = await envFor({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'porta-e2e' });
      const port = env.PORT;
      const child = spawn(tsx, [path.join(root, 'src/main.ts')], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      const until = Date.now() + 30_000;
      while ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status !== 200) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`main.ts did not start: ${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // An unknown organization: looked up in Redis, then PostgreSQL, then answered 404.
      expect((await fetch(`http://127.0.0.1:${port}/no-such-org/.well-known/openid-configuration`)).status).toBe(404);
      const scopes = new Set<string>();
      const services = new Set<string>();
      while (!(scopes.has('@opentelemetry/instrumentation-http') && scopes.has('@opentelemetry/instrumentation-pg') && scopes.has('@opentelemetry/instrumentation-ioredis'))) {
        if (Date.now() > until) throw new Error(`spans seen: ${[...scopes].join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
        for (const batch of received.splice(0) as Array<{ resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ scope: { name: string } }> }> }>) {
          for (const rs of batch.resourceSpans) {
            for (const a of rs.resource.attributes) if (a.key === 'service.name' && a.value.stringValue) services.add(a.value.stringValue);
            for (const ss of rs.scopeSpans) scopes.add(ss.scope.name);
          }
        }
      }
      expect([...services]).toEqual(['porta-e2e']);
      child.kill('SIGTERM');
      expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    } finally {
      collector.close();
    }
  });
});
