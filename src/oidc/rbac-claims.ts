import type { AccessService } from '../rbac/index.js';

/** Where a custom claim is emitted (spec 10 §4): ID token, userinfo, or introspection of access tokens. */
export type ClaimUse = 'id_token' | 'userinfo' | 'access_token';

interface EngineClientLike {
  metadata(): Record<string, unknown>;
}

/** The Porta application of an engine client (`porta.application_id` in its metadata). */
export function applicationIdOf(client: EngineClientLike | undefined): string | null {
  const porta = client?.metadata().porta as { application_id?: unknown } | undefined;
  return typeof porta?.application_id === 'string' ? porta.application_id : null;
}

/** The user's custom claim values of the application flagged for `use`, by claim name. */
export async function customClaims(access: AccessService, userId: string, applicationId: string, use: ClaimUse): Promise<Record<string, unknown>> {
  const custom: Record<string, unknown> = {};
  for (const claim of await access.claimsOf(userId, applicationId)) {
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
  const [{ roles, permissions }, custom] = await Promise.all([
    access.accessOf(userId, applicationId),
    customClaims(access, userId, applicationId, use),
  ]);
  return { ...custom, roles, permissions };
}

/** Custom claims for an access token's introspection; the engine stores them with the token at issuance. */
export async function accessTokenClaims(access: AccessService, userId: string, applicationId: string | null): Promise<Record<string, unknown> | undefined> {
  if (applicationId === null) return undefined;
  const custom = await customClaims(access, userId, applicationId, 'access_token');
  return Object.keys(custom).length > 0 ? custom : undefined;
}
