import { createHash } from 'node:crypto';
import type { RequestListener, ServerResponse } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import type { OidcDeps, Organization } from './types.js';
import { replayListener, type ReplayOptions } from './public-documents-replay.js';
import { matchesTag, PUBLIC_DOCUMENT_CACHE_CONTROL, type PublicDocument, type PublicDocumentKind } from './public-document.js';

export { PUBLIC_DOCUMENT_CACHE_CONTROL } from './public-document.js';

const ORG_PATH = /^\/([a-z0-9](?:[a-z0-9-]{1,98}[a-z0-9]))(\/.+)$/;
/**
 * Discovery under both well-known names, and JWKS, matched as the engine's router matches them: ASCII
 * case folded (a non-unicode `i` folds exactly the same characters) and one trailing slash.
 */
const DOCUMENT_PATH = /^\/(?:\.well-known\/(openid-configuration|oauth-authorization-server)|auth\/jwks)\/?$/i;
/** RFC 8414 §3.1, as tenant.ts serves it: the metadata of issuer `{base}/{org}`. */
const PATH_INSERTED = /^\/\.well-known\/oauth-authorization-server\/([a-z0-9](?:[a-z0-9-]{1,98}[a-z0-9]))$/;

/**
 * Organizations whose documents are kept, the longest-kept dropped first (a hit does not reorder: that
 * would cost every request a map write). Large enough that requests spread round-robin over ten
 * thousand organizations still hit; 3–4 KB each with the recorded headers (the key set is shared), ~80 MB at most.
 */
const MAX_ORGANIZATIONS = 20_000;

/** Headers of one answer that are the request's own, never recorded for a replay. */
const PER_REQUEST_HEADERS = new Set(['x-request-id', 'content-length', 'connection', 'keep-alive', 'date', 'transfer-encoding']);

/** What the engine's documents are built from; a change of any of these builds them again through the engine. */
interface Inputs {
  slug: string;
  isSuperAdmin: boolean;
  dynamicRegistration: boolean;
  updatedAt: string;
  keysVersion: string;
  claimsVersion: string;
}

interface Entry {
  inputs: Inputs;
  documents: Partial<Record<PublicDocumentKind, PublicDocument>>;
}

interface Located {
  slug: string;
  kind: PublicDocumentKind;
  /** The metrics label, as tenant.ts names these routes. */
  template: string;
}

/** An active organization and its current inputs. */
interface Current {
  org: Organization;
  inputs: Inputs;
}

export interface PublicDocuments {
  /** Koa middleware: mounted after the checks every request passes, ahead of the route dispatch. */
  middleware: Middleware;
  /** The server's request listener: replays recorded answers where it may (public-documents-replay.ts), `fallback` (Koa) otherwise. */
  listener(fallback: RequestListener, options: ReplayOptions): RequestListener;
  clear(): void;
}

/**
 * Discovery and JWKS of active organizations answered from bytes their engine produced, ahead of the
 * routers, the tenant routes and the engine. A miss (first request, or anything the document is built
 * from changed) goes the whole way, and the engine's 200 is kept for the organization and these inputs:
 * its slug, dynamic registration and `updatedAt`, the signing-key set version and the custom claim
 * names version. The versions are the per-process copies the engine registry reads (re-checked
 * against the shared store at most once a second), so a hit costs the organization lookup and no
 * other store round trip. Both answers carry a strong `ETag`; a matching `If-None-Match` gets a 304.
 * Unknown, suspended and archived organizations, other methods (the engine answers CORS preflights)
 * and lookup failures go the usual way, which gives today's 404, 403 or error.
 */
export function createPublicDocuments(deps: Pick<OidcDeps, 'organizations' | 'keys' | 'rbac'>): PublicDocuments {
  const entries = new Map<string, Entry>();
  /** Every organization publishes the same key set: their JWKS share one document. */
  let sharedJwks: PublicDocument | undefined;

  /** The organization and inputs, or undefined when the request should go the usual way. */
  async function current(slug: string): Promise<Current | undefined> {
    try {
      const org = await deps.organizations.findBySlug(slug);
      if (!org || org.status !== 'active') return undefined;
      // Both are in-process copies, answered without waiting on a store almost always.
      const keysVersion = await deps.keys.version();
      const claims = await deps.rbac.claimNames();
      return {
        org,
        inputs: {
          slug: org.slug, isSuperAdmin: org.isSuperAdmin, dynamicRegistration: org.dynamicRegistration, updatedAt: org.updatedAt,
          keysVersion, claimsVersion: claims.version,
        },
      };
    } catch {
      // The usual way looks again and answers the failure in its own words.
      return undefined;
    }
  }

  function find({ org, inputs }: Current, kind: PublicDocumentKind): PublicDocument | undefined {
    const entry = entries.get(org.id);
    return entry && isSame(entry.inputs, inputs) ? entry.documents[kind] : undefined;
  }

  function keep({ org, inputs }: Current, kind: PublicDocumentKind, document: PublicDocument): PublicDocument {
    if (kind === 'jwks') {
      if (sharedJwks?.etag === document.etag) document = sharedJwks;
      else sharedJwks = document;
    }
    const existing = entries.get(org.id);
    const entry = existing && isSame(existing.inputs, inputs) ? existing : { inputs, documents: {} };
    entry.documents[kind] = document;
    entries.delete(org.id);
    entries.set(org.id, entry);
    while (entries.size > MAX_ORGANIZATIONS) entries.delete(entries.keys().next().value as string);
    return document;
  }

  async function publicDocuments(ctx: Context, next: Next) {
    const located = ctx.method === 'GET' || ctx.method === 'HEAD' ? locate(ctx.path) : undefined;
    const found = located && (await current(located.slug));
    if (!located || !found) return next();
    const cached = find(found, located.kind);
    if (cached) {
      ctx.state.orgSlug = found.org.slug;
      ctx.state.routeTemplate = located.template;
      return send(ctx, cached);
    }
    await next();
    const built = engineDocument(ctx, located.kind);
    if (!built) return;
    // Kept only if nothing changed while the engine answered: the bytes then belong to these inputs.
    const after = await current(located.slug);
    const isUnchanged = after !== undefined && after.org.id === found.org.id && isSame(found.inputs, after.inputs);
    send(ctx, isUnchanged ? keep(found, located.kind, built) : built);
  }

  return {
    middleware: publicDocuments,
    listener: (fallback, options) => replayListener(async (slug, kind) => {
      const found = await current(slug);
      const document = found ? find(found, kind) : undefined;
      return found && document?.recorded ? { org: found.org, document } : undefined;
    }, fallback, options),
    clear() {
      entries.clear();
      sharedJwks = undefined;
    },
  };
}

function locate(path: string): Located | undefined {
  const inserted = PATH_INSERTED.exec(path);
  if (inserted) return { slug: inserted[1]!, kind: 'discovery', template: '/.well-known/oauth-authorization-server/:org' };
  const match = ORG_PATH.exec(path);
  const document = match ? DOCUMENT_PATH.exec(match[2]!) : null;
  if (!match || !document) return undefined;
  const name = document[1]?.toLowerCase();
  return name ? { slug: match[1]!, kind: 'discovery', template: `/:org/.well-known/${name}` } : { slug: match[1]!, kind: 'jwks', template: '/:org/auth/jwks' };
}

function isSame(a: Inputs, b: Inputs): boolean {
  return a.keysVersion === b.keysVersion && a.claimsVersion === b.claimsVersion && a.slug === b.slug
    && a.dynamicRegistration === b.dynamicRegistration && a.updatedAt === b.updatedAt && a.isSuperAdmin === b.isSuperAdmin;
}

/** The engine's 200 for `kind` as the text Koa would send (it serializes an object with JSON.stringify). */
function engineDocument(ctx: Context, kind: PublicDocumentKind): PublicDocument | undefined {
  const route = (ctx as unknown as { oidc?: { route?: string } }).oidc?.route;
  if (route !== kind || ctx.status !== 200) return undefined;
  const answer: unknown = ctx.body;
  let text: string;
  if (typeof answer === 'string') text = answer;
  else if (answer !== null && typeof answer === 'object' && !Buffer.isBuffer(answer) && typeof (answer as { pipe?: unknown }).pipe !== 'function') text = JSON.stringify(answer);
  else return undefined;
  return { text, length: Buffer.byteLength(text), contentType: ctx.response.get('Content-Type'), etag: `"${createHash('sha256').update(text).digest('base64url')}"` };
}

/**
 * The headers of `cachePublicDocument` in tenant.ts (any origin; the engine's `Vary: Origin` is never
 * set here), the tag, and the body or a 304 (RFC 9110 §13.1.2: weak comparison; `*` matches). The first
 * 200 of a document also records what the rest of the chain answered with, for the replay.
 */
function send(ctx: Context, document: PublicDocument): void {
  ctx.set('Cache-Control', PUBLIC_DOCUMENT_CACHE_CONTROL);
  ctx.set('Access-Control-Allow-Origin', '*');
  ctx.set('ETag', document.etag);
  if (matchesTag(ctx.get('If-None-Match'), document.etag)) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  ctx.set('Content-Type', document.contentType);
  ctx.body = document.text;
  if (!document.recorded) ctx.res.once('finish', () => record(ctx.res, document));
}

/** Only a complete, cookie-less 200 of exactly this document is recorded. */
function record(res: ServerResponse, document: PublicDocument): void {
  if (document.recorded || res.statusCode !== 200 || res.hasHeader('set-cookie') || res.getHeader('etag') !== document.etag) return;
  const ok: string[] = [];
  const notModified: string[] = [];
  // Node has it on every outgoing message; its types list it for client requests only.
  for (const name of (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames()) {
    const lower = name.toLowerCase();
    if (PER_REQUEST_HEADERS.has(lower)) continue;
    const value = res.getHeader(name);
    if (typeof value !== 'string' && typeof value !== 'number') return;
    ok.push(name, String(value));
    if (lower !== 'content-type') notModified.push(name, String(value));
  }
  if (!ok.includes(document.contentType)) return;
  document.recorded = { ok, notModified };
}
