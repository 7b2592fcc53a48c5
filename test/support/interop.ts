/**
 * Support for test/interop: a Porta tenant with one client registered the way a relying-party library needs,
 * the relying party's own HTTP server on 127.0.0.1, and a fetch-based browser that follows redirects across
 * both origins, fills in Porta's login form and runs the auto-submitting forms a browser would run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { systemActor } from '../../src/actors/index.js';
import type { CreateClientInput } from '../../src/clients/index.js';
import { HttpBrowser, type PageResponse } from './http-browser.js';
import type { TestServer } from './server.js';

/** Generous: the machine is shared, and each flow makes a dozen round trips across two servers. */
export const INTEROP_TIMEOUT_MS = 120_000;
export const PASSWORD = 'correct horse battery staple';

export interface InteropTenant {
  issuer: string;
  slug: string;
  orgId: string;
  appId: string;
  userId: string;
  email: string;
  name: string;
}

/** An organization with one application and one active user, Ada Lovelace. */
export async function createInteropTenant(server: TestServer, slug: string): Promise<InteropTenant> {
  const services = server.porta.services;
  const org = await services.organizations.create(systemActor(), { name: `Org ${slug}`, slug });
  const app = await services.applications.create(systemActor(), { name: `App ${slug}`, slug: `app-${slug}` });
  const email = 'ada@example.com';
  const user = await services.users.create(systemActor(), org.id, { email, password: PASSWORD, givenName: 'Ada', familyName: 'Lovelace', emailVerified: true });
  return { issuer: `${server.url}/${org.slug}`, slug: org.slug, orgId: org.id, appId: app.id, userId: user.id, email, name: 'Ada Lovelace' };
}

export interface RegisteredClient {
  clientId: string;
  /** Only for secret-based confidential clients. */
  secret?: string;
}

/** Registers a client of the tenant's application through the client service (the Admin API's rules). */
export async function registerClient(server: TestServer, tenant: InteropTenant, input: Omit<CreateClientInput, 'applicationId'>): Promise<RegisteredClient> {
  const created = await server.porta.services.clients.create(systemActor(), tenant.orgId, { ...input, applicationId: tenant.appId });
  return { clientId: created.client.clientId, secret: created.secret?.plaintext };
}

export interface RelyingPartyServer {
  origin: string;
  /** Starts answering with this handler (an Express app is one). */
  serve(handler: http.RequestListener): void;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1:<free port> whose handler is set later: the relying party's configuration
 * names its own URL (redirect URI, base URL), so the port must be known before the app is built.
 */
export async function startRelyingPartyServer(): Promise<RelyingPartyServer> {
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503).end('relying party not ready');
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve(h) {
      handler = h;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HtmlForm {
  id?: string;
  action: string;
  method: string;
  fields: Record<string, string>;
}

const decodeEntities = (s: string) =>
  s.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? decodeEntities(m[2] ?? m[3] ?? '') : undefined;
};

/** The forms of a page with their named inputs' values (enough for server-rendered pages). */
export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)) {
    const tag = /<form\b[^>]*>/i.exec(m[0])![0];
    const fields: Record<string, string> = {};
    for (const input of m[0].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) fields[name] = attr(input[0], 'value') ?? '';
    }
    forms.push({ id: attr(tag, 'id'), action: attr(tag, 'action') ?? '', method: (attr(tag, 'method') ?? 'get').toUpperCase(), fields });
  }
  return forms;
}

export interface Navigation {
  /** The page the chain of redirects ended on. */
  page: PageResponse;
  /** Every URL requested, in order. */
  visited: string[];
}

/**
 * A browser over fetch with one cookie jar for every origin (cookies ignore ports, as in real browsers, so
 * Porta's and the relying party's cookies share the jar and are kept apart by name and path).
 */
export class InteropBrowser {
  readonly http: HttpBrowser;

  constructor(portaUrl: string) {
    this.http = new HttpBrowser(portaUrl);
  }

  /**
   * Requests `url` and follows redirects on any origin, and pages that submit a form by script (Porta's
   * automatic logout with a valid `id_token_hint`, `response_mode=form_post`), as a browser with JavaScript
   * would. Stops at the first other page.
   */
  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}, maxSteps = 20): Promise<Navigation> {
    const visited: string[] = [url];
    let page = await this.http.request(url, init);
    for (let step = 0; step < maxSteps; step++) {
      let next: { url: string; init: { method?: string; form?: Record<string, string> } } | undefined;
      if (page.location && page.status >= 300 && page.status < 400) {
        next = { url: new URL(page.location, page.url).toString(), init: {} };
      } else if (page.status === 200) {
        const form = autoSubmittedForm(page.body);
        if (form) next = formSubmission(form, page.url);
      }
      if (!next) return { page, visited };
      visited.push(next.url);
      page = await this.http.request(next.url, next.init);
    }
    throw new Error(`more than ${maxSteps} redirects: ${visited.join(' -> ')}`);
  }

  /** Submits `form` of `page` (plus `extra` fields, such as the clicked button's name and value) and follows on. */
  submit(page: PageResponse, form: HtmlForm, extra: Record<string, string> = {}): Promise<Navigation> {
    const { url, init } = formSubmission({ ...form, fields: { ...form.fields, ...extra } }, page.url);
    return this.go(url, init);
  }

  /**
   * Starts at `url` (usually the relying party's login link or form), fills in Porta's login form when it is shown,
   * and follows everything back to the relying party. Throws when no login form appears.
   */
  async signIn(url: string, credentials: { email: string; password: string }, init: { method?: string; form?: Record<string, string> } = {}): Promise<Navigation> {
    const start = await this.go(url, init);
    const login = loginForm(start.page);
    if (!login) throw new Error(`expected Porta's login page, got ${start.page.status} at ${start.page.url}: ${start.page.body.slice(0, 300)}`);
    const done = await this.submit(start.page, login, { email: credentials.email, password: credentials.password });
    return { page: done.page, visited: [...start.visited, ...done.visited] };
  }
}

/** The request a browser makes to submit `form` of the page at `pageUrl`. */
function formSubmission(form: HtmlForm, pageUrl: string): { url: string; init: { method?: string; form?: Record<string, string> } } {
  const target = new URL(form.action || pageUrl, pageUrl);
  if (form.method === 'POST') return { url: target.toString(), init: { method: 'POST', form: form.fields } };
  target.search = new URLSearchParams(form.fields).toString();
  return { url: target.toString(), init: {} };
}

/** Porta's login form, when `page` is Porta's login page. */
export function loginForm(page: PageResponse): HtmlForm | undefined {
  if (page.status !== 200 || !/\/interaction\/[^/?]+$/.test(new URL(page.url).pathname)) return undefined;
  return parseForms(page.body).find((f) => 'password' in f.fields && '_csrf' in f.fields);
}

/** A form the page submits by script on load: Porta's logout form (adding `logout=yes`) or a form_post page. */
function autoSubmittedForm(html: string): HtmlForm | undefined {
  const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1] ?? '').join('\n');
  if (!/\.submit\(\)/.test(scripts)) return undefined;
  const forms = parseForms(html);
  const logout = forms.find((f) => f.id === 'op.logoutForm');
  if (logout && scripts.includes("getElementById('op.logoutForm')")) return { ...logout, method: 'POST', fields: { ...logout.fields, logout: 'yes' } };
  return forms.length === 1 ? forms[0] : undefined;
}

/** An authorization request with `prompt=none` (and PKCE, which every client accepts) for a session probe. */
export function promptNoneRequest(issuer: string, clientId: string, redirectUri: string): { url: string; state: string } {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(`${issuer}/auth/authorize`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri,
    prompt: 'none',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.toString(), state };
}

/** Reads the answer to `promptNoneRequest` at the redirect URI: a code (live) or `login_required` (ended). */
export function promptNoneAnswer(location: string, redirectUri: string, state: string): 'live' | 'ended' {
  const back = new URL(location);
  if (`${back.origin}${back.pathname}` !== redirectUri) throw new Error(`prompt=none redirected to ${back} instead of ${redirectUri}`);
  if (back.searchParams.get('state') !== state) throw new Error(`prompt=none: state mismatch in ${back}`);
  if (back.searchParams.get('code')) return 'live';
  if (back.searchParams.get('error') === 'login_required') return 'ended';
  throw new Error(`prompt=none answered ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`);
}

/**
 * Whether the browser still has a live Porta session for `clientId`: an authorization request with
 * `prompt=none` returns a code (live) or `login_required` (ended). The code is not redeemed.
 */
export async function portaSessionState(browser: InteropBrowser, issuer: string, clientId: string, redirectUri: string): Promise<'live' | 'ended'> {
  const { url, state } = promptNoneRequest(issuer, clientId, redirectUri);
  const res = await browser.http.request(url);
  if (res.status < 300 || res.status >= 400 || !res.location) throw new Error(`prompt=none: expected a redirect, got ${res.status}: ${res.body.slice(0, 300)}`);
  return promptNoneAnswer(new URL(res.location, url).toString(), redirectUri, state);
}

/** The JSON a relying party's page answered with (with the status, for a readable failure). */
export function json<T = Record<string, unknown>>(page: PageResponse): T {
  try {
    return JSON.parse(page.body) as T;
  } catch {
    throw new Error(`expected JSON from ${page.url}, got ${page.status}: ${page.body.slice(0, 500)}`);
  }
}
