import Provider from 'oidc-provider';
import { isUuid } from '../platform/ids.js';
import type { AccessService } from '../rbac/index.js';
import type { User } from '../users/index.js';
import { portaOf } from './client-extras.js';

/** Where a custom claim is emitted (spec 10 §4): ID token, userinfo, or introspection of access tokens. */
export type ClaimUse = 'id_token' | 'userinfo' | 'access_token';

/** The Porta application of an engine client (`porta.application_id` in its metadata). */
export function applicationIdOf(client: object | undefined): string | null {
  const applicationId: unknown = portaOf(client)?.application_id;
  return typeof applicationId === 'string' ? applicationId : null;
}

type Snapshot = Awaited<ReturnType<AccessService['snapshotOf']>>;

/**
 * One read per request: issuing a token pair asks for the ID token's claims and the access token's
 * extra claims in the same request; a later request reads afresh, so changes reach the next token.
 */
const perRequest = new WeakMap<object, Map<string, Promise<Snapshot>>>();

function memoOf(ctx: object): Map<string, Promise<Snapshot>> {
  let memo = perRequest.get(ctx);
  if (!memo) perRequest.set(ctx, (memo = new Map()));
  return memo;
}

function snapshot(access: AccessService, userId: string, applicationId: string): Promise<Snapshot> {
  const ctx = (Provider as unknown as { ctx?: object }).ctx;
  if (!ctx) return access.snapshotOf(userId, applicationId);
  const memo = memoOf(ctx);
  const key = `${userId}|${applicationId}`;
  let pending = memo.get(key);
  if (!pending) {
    pending = access.snapshotOf(userId, applicationId);
    memo.set(key, pending);
    pending.catch(() => memo.delete(key));
  }
  return pending;
}

/** Engine routes whose account read is followed by its claims (ID token, access token, userinfo). */
const CLAIMING_ROUTES: ReadonlySet<string> = new Set(['token', 'userinfo']);

/**
 * The account for the engine's `findAccount`. On the token and userinfo endpoints, its roles, permissions
 * and custom claims in the client's application come in the same round trip and serve this request's
 * `rbacClaims` and `accessTokenClaims`; elsewhere (the authorization endpoint checking its session, which
 * issues no claims in the code flow) the row alone, and the claims, if asked for, as before.
 */
export async function findAccountUser(
  access: AccessService,
  findUser: (orgId: string, userId: string) => Promise<User | null>,
  ctx: { oidc: { route?: string; client?: object } },
  orgId: string,
  userId: string,
): Promise<User | null> {
  const applicationId = CLAIMING_ROUTES.has(ctx.oidc.route ?? '') ? applicationIdOf(ctx.oidc.client) : null;
  // The claims find the snapshot under the engine's request context, which findAccount runs in.
  const isEngineRequest = (Provider as unknown as { ctx?: object }).ctx === ctx;
  if (applicationId === null || !isUuid(applicationId) || !isEngineRequest) return findUser(orgId, userId);
  const found = await access.accountOf(orgId, userId, applicationId);
  if (!found) return null;
  memoOf(ctx).set(`${found.user.id}|${applicationId}`, Promise.resolve(found.access));
  return found.user;
}

function flagged(claims: Snapshot['claims'], use: ClaimUse): Record<string, unknown> {
  const custom: Record<string, unknown> = {};
  for (const claim of claims) {
    const isIncluded = use === 'id_token' ? claim.includeInIdToken : use === 'userinfo' ? claim.includeInUserinfo : claim.includeInAccessToken;
    if (isIncluded) custom[claim.claimName] = claim.value;
  }
  return custom;
}

/**
 * `roles`, `permissions` and the custom claims flagged for `use`, all of the client's application only;
 * read per token, so changes reach the next token without a restart.
 */
export async function rbacClaims(access: AccessService, userId: string, applicationId: string | null, use: ClaimUse): Promise<Record<string, unknown>> {
  if (applicationId === null) return { roles: [], permissions: [] };
  const { roles, permissions, claims } = await snapshot(access, userId, applicationId);
  return { ...flagged(claims, use), roles, permissions };
}

/** Custom claims for an access token's introspection; the engine stores them with the token at issuance. */
export async function accessTokenClaims(access: AccessService, userId: string, applicationId: string | null): Promise<Record<string, unknown> | undefined> {
  if (applicationId === null) return undefined;
  const custom = flagged((await snapshot(access, userId, applicationId)).claims, 'access_token');
  return Object.keys(custom).length > 0 ? custom : undefined;
}
