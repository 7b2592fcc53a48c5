// The BFF playground: a server-side relying party (node:http only) that keeps the tokens.
//   npm run playground:bff        (reads .porta/playground.json written by `porta seed run --out`)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomToken } from '../playground/public/oidc.js';
import { createProviderClient } from './provider.mjs';
import { signedInPage, signedOutPage } from './pages.mjs';

const DEFAULT_PORT = 8766;
const COOKIE = 'porta_bff_session';
const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
const MAX_FORM_BYTES = 4096;
const STYLE = fs.readFileSync(fileURLToPath(new URL('./style.css', import.meta.url)));

/**
 * Configuration from the seed file and the environment: PORTA_ISSUER, PORTA_CLIENT_ID, PORTA_CLIENT_SECRET
 * and PLAYGROUND_BFF_PORT override the file (PLAYGROUND_CONFIG, default .porta/playground.json).
 */
export function loadBffConfig(env = process.env) {
  const file = path.resolve(env.PLAYGROUND_CONFIG ?? '.porta/playground.json');
  const seed = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const config = {
    issuer: env.PORTA_ISSUER ?? seed.issuer,
    clientId: env.PORTA_CLIENT_ID ?? seed.confidentialClient?.id,
    clientSecret: env.PORTA_CLIENT_SECRET ?? seed.confidentialClient?.secret,
    port: Number(env.PLAYGROUND_BFF_PORT ?? DEFAULT_PORT),
    registeredRedirectUris: seed.redirectUris ?? [],
  };
  if (!config.issuer || !config.clientId || !config.clientSecret) {
    throw new Error(`No issuer or client credentials: run \`npx porta seed run --out ${path.relative(process.cwd(), file)}\` or set PORTA_ISSUER, PORTA_CLIENT_ID and PORTA_CLIENT_SECRET.`);
  }
  return config;
}

function cookieOf(req) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * Starts the BFF on host:port (0 = any free port). `config`: issuer, clientId, clientSecret, and optionally
 * redirectUri, postLogoutRedirectUri (default: /callback and /logged-out here) and scope. `onTokens(tokens)`
 * sees every token response (tests, debugging). Resolves to { url, redirectUri, postLogoutRedirectUri, close() }.
 */
export async function startBff({ port = DEFAULT_PORT, host = '127.0.0.1', config, onTokens }) {
  /** Session id → { csrf, lastSeen, pending?, tokens?, claims?, userinfo?, logoutState? }; in memory only. */
  const sessions = new Map();
  let rp;
  let headers;

  function sessionOf(req) {
    const id = cookieOf(req);
    const session = id ? sessions.get(id) : undefined;
    if (!session) return undefined;
    if (Date.now() - session.lastSeen > SESSION_IDLE_MS) {
      sessions.delete(id);
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  function newSession(res) {
    const id = randomToken(32);
    const session = { id, csrf: randomToken(16), lastSeen: Date.now() };
    sessions.set(id, session);
    res.setHeader('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
    return session;
  }

  function endSession(res, session) {
    if (session) sessions.delete(session.id);
    res.setHeader('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
  }

  const send = (res, status, html) => res.writeHead(status, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(html);
  const redirect = (res, location) => res.writeHead(303, { ...headers, location }).end();

  function page(res, session, options = {}) {
    if (session?.tokens) send(res, options.status ?? 200, signedInPage({ issuer: config.issuer, session, ...options }));
    else send(res, options.status ?? 200, signedOutPage({ issuer: config.issuer, ...options }));
  }

  async function store(session, { tokens, claims }) {
    onTokens?.(tokens);
    session.tokens = {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? session.tokens?.refreshToken,
      idToken: tokens.id_token ?? session.tokens?.idToken,
    };
    session.expiresAt = Date.now() + (tokens.expires_in ?? 0) * 1000;
    if (claims) session.claims = claims;
    session.userinfo = await rp.userinfo(tokens.access_token).catch(() => undefined);
  }

  async function isValidPost(req, session) {
    const form = await readForm(req);
    return Boolean(session?.tokens) && form.get('csrf') === session.csrf;
  }

  const routes = {
    'GET /': (req, res) => page(res, sessionOf(req)),
    'GET /style.css': (req, res) => res.writeHead(200, { ...headers, 'content-type': 'text/css; charset=utf-8' }).end(STYLE),
    async 'GET /login'(req, res) {
      const session = sessionOf(req) ?? newSession(res);
      const { url, pending } = await rp.startSignIn();
      session.pending = pending;
      redirect(res, url);
    },
    async 'GET /callback'(req, res, url) {
      const session = sessionOf(req);
      const pending = session?.pending;
      if (session) delete session.pending;
      try {
        await store(session, await rp.completeSignIn(url.searchParams, pending));
      } catch (err) {
        return page(res, undefined, { status: 400, error: err.message });
      }
      redirect(res, '/');
    },
    async 'POST /refresh'(req, res) {
      const session = sessionOf(req);
      if (!(await isValidPost(req, session))) return page(res, session, { status: 403, error: 'Not signed in, or the form is stale.' });
      try {
        const refreshed = await rp.refresh(session.tokens.refreshToken);
        if (refreshed.claims && refreshed.claims.sub !== session.claims.sub) throw new Error('the refreshed ID token names another user');
        await store(session, refreshed);
        session.refreshedAt = Date.now();
      } catch (err) {
        return page(res, session, { status: 502, error: `Refresh failed: ${err.message}` });
      }
      redirect(res, '/');
    },
    /** Seed 001: revoke both tokens first, then let Porta end the browser session (id_token_hint: no confirmation). */
    async 'POST /logout'(req, res) {
      const session = sessionOf(req);
      if (!(await isValidPost(req, session))) return page(res, session, { status: 403, error: 'Not signed in, or the form is stale.' });
      const { accessToken, refreshToken, idToken } = session.tokens;
      const results = await Promise.allSettled([rp.revoke(accessToken, 'access_token'), refreshToken ? rp.revoke(refreshToken, 'refresh_token') : undefined]);
      for (const r of results) if (r.status === 'rejected') console.warn(`revocation failed: ${r.reason.message}`);
      for (const key of ['tokens', 'claims', 'userinfo', 'expiresAt', 'refreshedAt']) delete session[key];
      session.logoutState = randomToken(16);
      redirect(res, await rp.endSessionUrl({ idToken, state: session.logoutState }));
    },
    'GET /logged-out'(req, res, url) {
      const session = sessionOf(req);
      const isExpected = Boolean(session?.logoutState) && url.searchParams.get('state') === session.logoutState;
      endSession(res, session);
      page(res, undefined, isExpected ? { isBackFromLogout: true } : { status: 400, error: 'Back from sign-out with an unexpected state.' });
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bff');
    const route = routes[`${req.method} ${url.pathname}`];
    if (!route) return send(res, 404, 'Not found');
    Promise.resolve(route(req, res, url)).catch((err) => {
      if (!res.headersSent) page(res, undefined, { status: 500, error: err.message });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${server.address().port}`;
  const redirectUri = config.redirectUri ?? `${origin}/callback`;
  const postLogoutRedirectUri = config.postLogoutRedirectUri ?? `${origin}/logged-out`;
  rp = createProviderClient({ ...config, redirectUri, postLogoutRedirectUri, scope: config.scope ?? 'openid profile email' });
  headers = {
    // Forms post here; /logout then redirects to Porta, which form-action must allow too.
    'content-security-policy': `default-src 'none'; style-src 'self'; form-action 'self' ${new URL(config.issuer).origin}; base-uri 'none'; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
  return {
    url: origin,
    redirectUri,
    postLogoutRedirectUri,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const config = loadBffConfig();
    const bff = await startBff({ port: config.port, config });
    console.log(`BFF playground for ${config.issuer} (client ${config.clientId}): open ${bff.url}/`);
    if (config.registeredRedirectUris.length > 0 && !config.registeredRedirectUris.includes(bff.redirectUri)) {
      console.warn(`Warning: ${bff.redirectUri} is not among the seeded redirect URIs; add --redirect-uri ${bff.redirectUri} to your \`porta seed run\`.`);
    }
  } catch (err) {
    console.error(err.message);
    process.exitCode = 1;
  }
}
