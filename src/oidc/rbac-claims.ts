import Provider from 'oidc-provider';
import type { AccessService } from '../rbac/index.js';
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

function snapshot(access: AccessService, userId: string, applicationId: string): Promise<Snapshot> {
  const ctx = (Provider as unknown as { ctx?: object }).ctx;
  if (!ctx) return access.snapshotOf(userId, applicationId);
  let memo = perRequest.get(ctx);
  if (!memo) perRequest.set(ctx, (memo = new Map()));
  const key = `${userId}|${applicationId}`;
  let pending = memo.get(key);
  if (!pending) {
    pending = access.snapshotOf(userId, applicationId);
    memo.set(key, pending);
    pending.catch(() => memo.delete(key));
  }
  return pending;
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
