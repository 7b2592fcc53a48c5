import { isUuid } from '../platform/ids.js';
import { parseInput } from '../platform/validation.js';
import type { Application } from '../applications/index.js';
import type { RbacContext } from './context.js';
import { claimNotFound, claimTypeMismatch, claimValueNotFound, immutableField, userNotFound } from './errors.js';
import {
  ClaimValueInput,
  CreateClaimInput,
  UpdateClaimInput,
  type ClaimDefinition,
  type ClaimType,
  type ClaimValue,
} from './schema.js';

/** Spec 20 §5.4: string | finite number | boolean | object/array for `json`; null never. */
export function matchesClaimType(type: ClaimType, value: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'json': return typeof value === 'object' && value !== null;
  }
}

/** Claim definition and value methods of the RBAC service; each takes the application (id or slug) first. */
export function createClaimOperations(ctx: RbacContext) {
  async function claimIn(app: Application, claimId: string): Promise<ClaimDefinition> {
    const claim = isUuid(claimId) ? await ctx.claims.findById(app.id, claimId) : null;
    if (!claim) throw claimNotFound();
    return claim;
  }

  const getClaim = async (appIdOrSlug: string, claimId: string) => claimIn(await ctx.application(appIdOrSlug), claimId);

  /** A user of any organization; `user_not_found` otherwise. */
  async function assertUser(userId: string): Promise<void> {
    if (!isUuid(userId) || (await ctx.claims.organizationOfUser(userId)) === null) throw userNotFound();
  }

  return {
    /** The name is unique in the application and, with the type, immutable. */
    async createClaim(appIdOrSlug: string, input: CreateClaimInput): Promise<ClaimDefinition> {
      const parsed = parseInput(CreateClaimInput, input);
      const app = await ctx.writableApplication(appIdOrSlug);
      const claim = await ctx.claims.insert(app.id, { ...parsed, description: parsed.description ?? null });
      await ctx.claimNames.invalidate();
      ctx.log.info({ applicationId: app.id, claimId: claim.id, claimName: claim.claimName }, 'claim.created');
      return claim;
    },

    async listClaims(appIdOrSlug: string): Promise<ClaimDefinition[]> {
      return ctx.claims.list((await ctx.application(appIdOrSlug)).id);
    },

    getClaim,

    async updateClaim(appIdOrSlug: string, claimId: string, patch: UpdateClaimInput): Promise<{ claim: ClaimDefinition; previous: ClaimDefinition }> {
      const { claimName, claimType, ...flags } = parseInput(UpdateClaimInput, patch);
      const previous = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
      if (claimName !== undefined && claimName !== previous.claimName) throw immutableField('claimName');
      if (claimType !== undefined && claimType !== previous.claimType) throw immutableField('claimType');
      const claim = await ctx.claims.update(previous.applicationId, previous.id, flags);
      if (!claim) throw claimNotFound();
      return { claim, previous };
    },

    /** Every user's value goes with it. */
    async deleteClaim(appIdOrSlug: string, claimId: string): Promise<ClaimDefinition> {
      const claim = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
      if (!(await ctx.claims.delete(claim.applicationId, claim.id))) throw claimNotFound();
      await ctx.claimNames.invalidate();
      ctx.log.info({ claimId: claim.id, claimName: claim.claimName }, 'claim.deleted');
      return claim;
    },

    /** The user's values for this application's claims. */
    async listUserClaimValues(appIdOrSlug: string, userId: string): Promise<ClaimValue[]> {
      const app = await ctx.application(appIdOrSlug);
      await assertUser(userId);
      return ctx.claims.listValues(app.id, userId);
    },

    async getClaimValue(appIdOrSlug: string, claimId: string, userId: string): Promise<ClaimValue> {
      const claim = await getClaim(appIdOrSlug, claimId);
      await assertUser(userId);
      return (await ctx.claims.findValue(claim.id, userId)) ?? throwValueNotFound();
    },

    /** Creates or replaces the value; it must match the claim's type. */
    async setClaimValue(appIdOrSlug: string, claimId: string, userId: string, input: ClaimValueInput): Promise<{ value: ClaimValue; claim: ClaimDefinition }> {
      const { value } = parseInput(ClaimValueInput, input);
      const claim = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
      await assertUser(userId);
      if (!matchesClaimType(claim.claimType, value)) throw claimTypeMismatch(claim.claimType);
      const saved = await ctx.claims.upsertValue(claim.id, userId, value);
      return { value: saved, claim };
    },

    async deleteClaimValue(appIdOrSlug: string, claimId: string, userId: string): Promise<ClaimDefinition> {
      const claim = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
      await assertUser(userId);
      if (!(await ctx.claims.deleteValue(claim.id, userId))) throw claimValueNotFound();
      return claim;
    },
  };
}

function throwValueNotFound(): never {
  throw claimValueNotFound();
}
