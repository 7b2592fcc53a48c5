import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { cliDirectActor, type Actor, type RequestOrigin } from '../../actors/index.js';
import { AppError } from '../../platform/errors.js';
import { PORTA_VERSION } from '../../version.js';
import type { AdminDeps } from './deps.js';

const unauthorized = (message = 'A valid admin access token is required.') => new AppError('unauthorized', 'unauthorized', message);

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,2048})\s*$/i;

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Spec 20 §2 checks 1–5 and spec 70 §4: a live access token of the admin organization's issuer, minted
 * for an active admin user by a built-in admin client, or for a service account by itself. Who that
 * is, with which permissions, is the admin-access domain's answer (`adminAccess.actorForToken`); route
 * permissions are checked by the domain use case (writes) or the route (reads).
 */
export function adminAuthentication(deps: AdminDeps) {
  return async function authenticate(ctx: Context, next: Next) {
    const match = BEARER.exec(ctx.get('Authorization'));
    if (!match?.[1]) throw unauthorized('The Authorization header must carry a bearer token.');
    const token = match[1];
    const from: RequestOrigin = { ip: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined };
    const actor: Actor =
      deps.direct && sameSecret(token, deps.direct.token)
        ? cliDirectActor(deps.direct.osUser, from)
        : await deps.services.adminAccess.actorForToken(await deps.tokens.findAccessToken(token), from);
    ctx.state.actor = actor;
    // Authenticated answers only, errors included (spec 30 §2 `porta version`).
    ctx.set('X-Porta-Version', PORTA_VERSION);
    await next();
  };
}
