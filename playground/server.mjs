// Static server for the SPA playground: node:http only, no build step.
//   npm run playground            (reads .porta/playground.json written by `porta seed run --out`)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const DEFAULT_PORT = 8765;
const DEFAULT_SCOPE = 'openid profile email';

const ASSETS = {
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/oidc.js': ['oidc.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};
// Every route of the app gets the same page; app.js looks at the path.
const PAGES = new Set(['/', '/callback', '/logged-out']);

/**
 * The SPA's configuration from the seed file and the environment:
 * PORTA_ISSUER, PORTA_CLIENT_ID and PLAYGROUND_PORT override the file (PLAYGROUND_CONFIG, default .porta/playground.json).
 */
export function loadPlaygroundConfig(env = process.env) {
  const file = path.resolve(env.PLAYGROUND_CONFIG ?? '.porta/playground.json');
  const seed = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const config = {
    issuer: env.PORTA_ISSUER ?? seed.issuer,
    clientId: env.PORTA_CLIENT_ID ?? seed.publicClient?.id,
    port: Number(env.PLAYGROUND_PORT ?? DEFAULT_PORT),
    registeredRedirectUris: seed.redirectUris ?? [],
    loginHint: seed.user?.email,
  };
  if (!config.issuer || !config.clientId) {
    throw new Error(`No issuer or client id: run \`npx porta seed run --out ${path.relative(process.cwd(), file)}\` or set PORTA_ISSUER and PORTA_CLIENT_ID.`);
  }
  return config;
}

function securityHeaders(issuer) {
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `connect-src 'self' ${new URL(issuer).origin}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    // The callback URL carries the authorization code: never hand it to another site.
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
}

/**
 * Serves the SPA on host:port (0 = any free port). `config`: issuer, clientId, and optionally redirectUri,
 * postLogoutRedirectUri (default: /callback and /logged-out on this server), scope, loginHint.
 * Resolves to { url, redirectUri, postLogoutRedirectUri, close() }.
 */
export async function startPlayground({ port = DEFAULT_PORT, host = '127.0.0.1', config }) {
  const headers = securityHeaders(config.issuer);
  let browserConfig;
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://playground');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname === '/config.json') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(browserConfig));
      return;
    }
    const asset = PAGES.has(pathname) ? ['index.html', 'text/html; charset=utf-8'] : ASSETS[pathname];
    if (!asset) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    fs.readFile(path.join(PUBLIC_DIR, asset[0]), (err, body) => {
      if (err) res.writeHead(500, { 'content-type': 'text/plain' }).end('Cannot read the file\n');
      else res.writeHead(200, { ...headers, 'content-type': asset[1] }).end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.address().port}`;
  browserConfig = {
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri ?? `${url}/callback`,
    postLogoutRedirectUri: config.postLogoutRedirectUri ?? `${url}/logged-out`,
    scope: config.scope ?? DEFAULT_SCOPE,
    loginHint: config.loginHint,
  };
  return {
    url,
    redirectUri: browserConfig.redirectUri,
    postLogoutRedirectUri: browserConfig.postLogoutRedirectUri,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const config = loadPlaygroundConfig();
    const playground = await startPlayground({ port: config.port, config });
    console.log(`SPA playground for ${config.issuer} (client ${config.clientId}): open ${playground.url}/`);
    if (config.registeredRedirectUris.length > 0 && !config.registeredRedirectUris.includes(playground.redirectUri)) {
      console.warn(`Warning: ${playground.redirectUri} is not among the seeded redirect URIs; add --redirect-uri ${playground.redirectUri} to your \`porta seed run\`.`);
    }
  } catch (err) {
    console.error(err.message);
    process.exitCode = 1;
  }
}
