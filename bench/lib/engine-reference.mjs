// The bare-engine reference of the benchmarks: the installed `oidc-provider` with its own in-memory
// adapter, mounted under `/{slug}` with Porta's routes, one confidential client, its users and a
// minimal login (a double-submit CSRF token and one Argon2id verification with Porta's parameters).
// It is what any product built on this engine could at best do per request, so bench/oidc.mjs runs
// every scenario against it and Porta in the same run and reports the ratio.
//
// Run as a program (`node bench/lib/engine-reference.mjs`), it reads its settings from the
// PORTA_REFERENCE JSON environment variable and serves until SIGTERM. Imported, it offers
// `startReference()`, which spawns that program on a free loopback port and waits for /health.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { URLSearchParams, fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ARGON2ID = 2;

/**
 * Spawns the reference server. `settings`: { port, slug, orgId, clientId, clientSecret, redirectUri,
 * users: [{ id, email }], password (every user's), argon2: { memoryCost, timeCost, parallelism } }.
 * `nodeArgs` go before the script (e.g. `--cpu-prof`). Resolves to { url, pid, stop() }.
 */
export async function startReference(settings, { nodeArgs = [], env = process.env } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, SELF], {
    env: { ...env, NODE_ENV: 'production', PORTA_REFERENCE: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  // The engine warns that its in-memory adapter is for development: that adapter is the point here.
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    const shown = chunk.split('\n').filter((line) => line && !line.includes('in-memory adapter')).join('\n');
    if (shown) process.stderr.write(`${shown}\n`);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${settings.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engine reference exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error('engine reference did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Porta's key set: one RSA 2048 key (RS256, PS256) and one P-256 key (ES256). */
function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...rsa, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' },
      { ...ec, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'ES256' },
    ],
  };
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))));
    req.on('error', reject);
  });
}

const sameString = (a, b) => typeof a === 'string' && typeof b === 'string' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function serve(settings) {
  const [{ default: Provider }, { default: Koa }, { default: mount }, argon2] = await Promise.all([
    import('oidc-provider'), import('koa'), import('koa-mount'), import('@node-rs/argon2'),
  ]);
  const { port, slug, clientId, clientSecret, redirectUri, password } = settings;
  const usersById = new Map(settings.users.map((u) => [u.id, u]));
  const usersByEmail = new Map(settings.users.map((u) => [u.email, u]));
  const argonOptions = { ...settings.argon2, algorithm: ARGON2ID };
  const passwordHash = await argon2.hash(password, argonOptions);
  const issuer = `http://127.0.0.1:${port}/${slug}`;
  // Mounted under a Koa app, the engine signs its cookies with that app's keys, as in Porta.
  const cookieKeys = [randomBytes(32).toString('base64url')];
  const base = `/${slug}`;

  const provider = new Provider(issuer, {
    jwks: signingKeys(),
    clients: [{
      client_id: clientId, client_secret: clientSecret, client_name: 'Reference web client',
      redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'], scope: 'openid profile email offline_access', token_endpoint_auth_method: 'client_secret_basic',
    }],
    findAccount: async (_ctx, sub) => {
      const user = usersById.get(sub);
      return user && {
        accountId: user.id,
        claims: async () => ({
          sub: user.id, org_id: settings.orgId, org_slug: slug, roles: [], permissions: [],
          email: user.email, email_verified: true, given_name: 'Bench', family_name: 'User',
        }),
      };
    },
    cookies: {
      keys: cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', path: base },
      short: { httpOnly: true, sameSite: 'lax', path: base },
    },
    routes: {
      authorization: '/auth/authorize', token: '/auth/token', introspection: '/auth/token/introspection',
      revocation: '/auth/token/revocation', userinfo: '/auth/userinfo', jwks: '/auth/jwks', end_session: '/auth/session/end',
    },
    interactions: { url: (_ctx, interaction) => `${base}/interaction/${interaction.uid}` },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'address', 'phone'],
    claims: {
      openid: ['sub', 'org_id', 'org_slug', 'roles', 'permissions'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: { id_token_signed_response_alg: 'RS256', token_endpoint_auth_method: 'client_secret_basic' },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    ttl: { AccessToken: 3600, ClientCredentials: 3600, AuthorizationCode: 600, IdToken: 3600, RefreshToken: 1_209_600, Grant: 1_209_600, Session: 86_400, Interaction: 3600 },
    // Porta's defaults: rotating refresh tokens for every client allowed the grant.
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && (code.kind === 'AuthorizationCode' || code.scopes.has('offline_access')),
    conformIdTokenClaims: false,
  });
  provider.proxy = false;

  const app = new Koa({ keys: cookieKeys });
  app.use(async (ctx, next) => {
    if (ctx.path === '/health') {
      ctx.body = 'ok';
      return;
    }
    const prefix = `${base}/interaction/`;
    if (!ctx.path.startsWith(prefix)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const finish = async (result) => {
      const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
      ctx.status = 303;
      ctx.redirect(to);
    };
    if (ctx.method === 'GET' && details.prompt.name === 'login') {
      const csrf = randomBytes(24).toString('base64url');
      ctx.cookies.set('ref_csrf', csrf, { path: base, httpOnly: true, sameSite: 'lax', signed: false });
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = `<!doctype html><title>Sign in</title><form method="post" action="${prefix}${escapeHtml(details.uid)}/login">`
        + `<input type="hidden" name="_csrf" value="${csrf}"><input name="email"><input name="password" type="password"><button>Sign in</button></form>`;
      return;
    }
    if (ctx.method === 'GET' && details.prompt.name === 'consent') {
      // Porta's automatic consent (require_consent: false): the missing scopes go into the grant.
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      const missing = details.prompt.details.missingOIDCScope;
      if (missing) grant.addOIDCScope(missing.join(' '));
      if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
      return finish({ consent: { grantId: await grant.save() } });
    }
    if (ctx.method === 'POST' && ctx.path.endsWith('/login') && details.prompt.name === 'login') {
      const form = await readForm(ctx.req);
      if (!sameString(form._csrf, ctx.cookies.get('ref_csrf'))) {
        ctx.status = 400;
        ctx.body = 'bad csrf';
        return;
      }
      const user = usersByEmail.get(form.email);
      const isValid = await argon2.verify(passwordHash, String(form.password ?? ''));
      if (!user || !isValid) {
        ctx.status = 401;
        ctx.body = 'wrong e-mail or password';
        return;
      }
      return finish({ login: { accountId: user.id } });
    }
    ctx.status = 400;
    ctx.body = 'unexpected interaction step';
  });
  app.use(mount(base, provider));

  const server = app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  // Exits normally on SIGTERM, so `--cpu-prof` writes its profile.
  process.once('SIGTERM', () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  await serve(JSON.parse(process.env.PORTA_REFERENCE ?? '{}'));
}
