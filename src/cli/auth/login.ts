import http from 'node:http';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import { CliError, EXIT } from '../context.js';
import { printNote } from '../output.js';
import { writeCredentials, type Credentials } from './credentials.js';
import {
  authorizationUrl,
  codeFromCallback,
  createPkce,
  decodeJwtPayload,
  exchangeCode,
  fetchDiscovery,
  fetchMetadata,
  fetchUserinfo,
  type AdminMetadata,
  type Pkce,
} from './oauth.js';

/** Spec 30 §2: the registered redirect for manual mode (the browser shows an error page; the URL is what counts). */
export const MANUAL_REDIRECT_URI = 'http://127.0.0.1/callback';
const LOGIN_TIMEOUT_MS = 5 * 60_000;

/** Manual mode is forced where no browser can reach a loopback listener: containers (`PORTA_CONTAINER=0` says otherwise). */
export function isContainer(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PORTA_CONTAINER === '0') return false;
  return env.PORTA_CONTAINER === '1' || fs.existsSync('/.dockerenv');
}

function readLine(prompt: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    process.stderr.write(prompt);
    const timer = setTimeout(() => finish(new CliError('Timed out waiting for the callback URL (5 minutes).', EXIT.auth)), timeoutMs);
    let isDone = false;
    const finish = (result: string | Error) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      rl.close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    rl.on('line', (line) => {
      if (line.trim() !== '') finish(line.trim());
    });
    rl.on('close', () => finish(new CliError('No callback URL was pasted.', EXIT.usage)));
  });
}

async function manualCallback(url: string): Promise<string> {
  printNote(
    `Open this URL in a browser and sign in:\n\n  ${url}\n\n` +
      `Afterwards the browser is sent to ${MANUAL_REDIRECT_URI}?code=… — that page does not load. ` +
      'Copy the whole address from the address bar and paste it here.',
  );
  return readLine('Callback URL: ', LOGIN_TIMEOUT_MS);
}

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Best effort: the URL is printed anyway.
  }
}

const DONE_PAGE = '<!doctype html><meta charset="utf-8"><title>Porta CLI</title><p>You can close this tab and return to the terminal.</p>';

/** Browser mode: a one-shot listener on 127.0.0.1:<random>/callback (RFC 8252 loopback redirect). */
export async function browserCallback(
  buildUrl: (redirectUri: string) => string,
  open: (url: string) => void = openBrowser,
  timeoutMs = LOGIN_TIMEOUT_MS,
): Promise<{ callback: string; redirectUri: string }> {
  let resolveCallback!: (value: string) => void;
  const received = new Promise<string>((resolve) => {
    resolveCallback = resolve;
  });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(DONE_PAGE);
    resolveCallback(`http://127.0.0.1${req.url ?? ''}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const url = buildUrl(redirectUri);
  printNote(`Opening your browser to sign in. If it does not open, visit:\n\n  ${url}\n\nWaiting for the login to finish (5 minutes)…`);
  open(url);
  let timer: NodeJS.Timeout | undefined;
  try {
    const callback = await Promise.race([
      received,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CliError('Timed out waiting for the login to finish (5 minutes).', EXIT.auth)), timeoutMs);
      }),
    ]);
    return { callback, redirectUri };
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
}

function checkIdToken(idToken: string | null, metadata: AdminMetadata, clientId: string, pkce: Pkce): void {
  if (!idToken) return;
  const claims = decodeJwtPayload(idToken);
  const aud = claims?.aud;
  const isForUs = Array.isArray(aud) ? aud.includes(clientId) : aud === clientId;
  if (!claims || claims.iss !== metadata.issuer || !isForUs || claims.nonce !== pkce.nonce) {
    throw new CliError('The ID token does not belong to this login (issuer, audience or nonce differ).', EXIT.auth);
  }
}

export interface LoginResult {
  credentials: Credentials;
  roles: string[];
}

/** Spec 30 §2 `porta login`: code + PKCE (S256) with state and nonce, then the tokens and the user's claims. */
export async function login(input: { server: string; clientId?: string; isManual: boolean; file: string }): Promise<LoginResult> {
  const metadata = await fetchMetadata(input.server);
  const clientId = input.clientId ?? metadata.clientId;
  const pkce = createPkce();
  const build = (redirectUri: string) => authorizationUrl(metadata, clientId, redirectUri, pkce);
  const { callback, redirectUri } = input.isManual
    ? { callback: await manualCallback(build(MANUAL_REDIRECT_URI)), redirectUri: MANUAL_REDIRECT_URI }
    : await browserCallback(build);
  const code = codeFromCallback(callback, pkce.state);
  const tokens = await exchangeCode(metadata.token_endpoint, { clientId, code, redirectUri, verifier: pkce.verifier });
  checkIdToken(tokens.idToken, metadata, clientId, pkce);
  const discovery = await fetchDiscovery(metadata.issuer);
  const info = typeof discovery.userinfo_endpoint === 'string' ? await fetchUserinfo(discovery.userinfo_endpoint, tokens.accessToken) : {};
  const idClaims = tokens.idToken ? decodeJwtPayload(tokens.idToken) : null;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const credentials: Credentials = {
    server: input.server,
    orgSlug: metadata.orgSlug,
    clientId,
    ...tokens,
    user: { sub: text(info.sub) ?? text(idClaims?.sub) ?? '', email: text(info.email), name: text(info.name) },
  };
  writeCredentials(credentials, input.file);
  return { credentials, roles: Array.isArray(info.roles) ? info.roles.map(String) : [] };
}
