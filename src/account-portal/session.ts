import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { Kv } from '../platform/kv/index.js';

/** The portal's own short session (spec 70 §2): an opaque cookie, the state in the ephemeral store. */
export const PORTAL_COOKIE = 'porta_account';
/** The pending sign-in's `state`, binding the callback to the browser that started it. */
export const SIGN_IN_COOKIE = 'porta_account_signin';
/** Idle lifetime, renewed on each request. */
export const PORTAL_IDLE_SECONDS = 30 * 60;
/** However active, a portal session lasts this long at most. */
export const PORTAL_MAX_SECONDS = 12 * 3600;
/** A sign-in at the issuer must come back within this. */
export const SIGN_IN_TTL_SECONDS = 10 * 60;

export interface PortalSessionState {
  userId: string;
  engineSessionUid: string | null;
  authTime: number;
  amr: string[];
  /** Epoch seconds. */
  createdAt: number;
  /** A one-shot message key of the `account` namespace, shown by the next page. */
  flash?: string;
}

export interface PendingSignIn {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  maxAge: number | null;
}

const hashed = (id: string) => createHash('sha256').update(id).digest('base64url');
const sessionKey = (orgId: string, id: string) => `porta:account-portal:${orgId}:${hashed(id)}`;
const signInKey = (orgId: string, state: string) => `porta:account-portal-signin:${orgId}:${hashed(state)}`;

/** The path every portal cookie is scoped to. */
export const portalPath = (orgSlug: string) => `/${orgSlug}/account`;

function cookieOptions(ctx: Context, orgSlug: string, maxAgeSeconds?: number) {
  return {
    httpOnly: true, sameSite: 'lax' as const, secure: ctx.secure, path: portalPath(orgSlug), signed: true, overwrite: true,
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds * 1000 }),
  };
}

export function createPortalSessions(kv: Kv, now: () => number) {
  const seconds = () => Math.floor(now() / 1000);
  return {
    /** The session this browser presents, renewed; null when there is none (or it is too old). */
    async read(ctx: Context, orgId: string, orgSlug: string): Promise<{ id: string; state: PortalSessionState } | null> {
      const id = ctx.cookies.get(PORTAL_COOKIE, { signed: true });
      if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
      const raw = await kv.get(sessionKey(orgId, id));
      if (!raw) return null;
      const state = JSON.parse(raw) as PortalSessionState;
      if (seconds() - state.createdAt > PORTAL_MAX_SECONDS) {
        await this.end(ctx, orgId, orgSlug);
        return null;
      }
      await kv.expire(sessionKey(orgId, id), PORTAL_IDLE_SECONDS);
      return { id, state };
    },

    /** A new session id at every sign-in (no fixation), in a session cookie. */
    async start(ctx: Context, orgId: string, orgSlug: string, state: Omit<PortalSessionState, 'createdAt'>): Promise<string> {
      const id = randomBytes(32).toString('base64url');
      await kv.set(sessionKey(orgId, id), JSON.stringify({ ...state, createdAt: seconds() }), { ttlSeconds: PORTAL_IDLE_SECONDS });
      ctx.cookies.set(PORTAL_COOKIE, id, cookieOptions(ctx, orgSlug));
      return id;
    },

    async save(orgId: string, id: string, state: PortalSessionState): Promise<void> {
      await kv.set(sessionKey(orgId, id), JSON.stringify(state), { ttlSeconds: PORTAL_IDLE_SECONDS });
    },

    async end(ctx: Context, orgId: string, orgSlug: string): Promise<void> {
      const id = ctx.cookies.get(PORTAL_COOKIE, { signed: true });
      if (id) await kv.delete(sessionKey(orgId, id));
      ctx.cookies.set(PORTAL_COOKIE, null, cookieOptions(ctx, orgSlug));
    },

    async beginSignIn(ctx: Context, orgId: string, orgSlug: string, pending: PendingSignIn): Promise<string> {
      const state = randomBytes(32).toString('base64url');
      await kv.set(signInKey(orgId, state), JSON.stringify(pending), { ttlSeconds: SIGN_IN_TTL_SECONDS });
      ctx.cookies.set(SIGN_IN_COOKIE, state, cookieOptions(ctx, orgSlug, SIGN_IN_TTL_SECONDS));
      return state;
    },

    /** The pending sign-in, once: only for the browser holding its state cookie. */
    async finishSignIn(ctx: Context, orgId: string, orgSlug: string, state: unknown): Promise<PendingSignIn | null> {
      const expected = ctx.cookies.get(SIGN_IN_COOKIE, { signed: true });
      ctx.cookies.set(SIGN_IN_COOKIE, null, cookieOptions(ctx, orgSlug));
      if (typeof state !== 'string' || !expected || state !== expected) return null;
      const raw = await kv.getDel(signInKey(orgId, state));
      return raw ? (JSON.parse(raw) as PendingSignIn) : null;
    },
  };
}

export type PortalSessions = ReturnType<typeof createPortalSessions>;
