import { authorize, type Actor } from '../actors/index.js';
import { isUuid } from '../platform/ids.js';
import { parseInput } from '../platform/validation.js';
import type { Application } from '../applications/index.js';
import type { RbacContext } from './context.js';
import { claimNameReserved, claimNotFound, claimTypeMismatch, claimValueNotFound, immutableField, userNotFound } from './errors.js';
import {
  ClaimValueInput,
  CreateClaimInput,
  RESERVED_CLAIM_NAMES,
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

interface ClaimHolder {
  id: string;
  organizationId: string;
}

/**
 * Claim definition and value methods of the RBAC service. Reads take the application (id or slug)
 * first; writes take the actor first, then the application, and authorize, change and audit in one
 * transaction.
 */
export function createClaimOperations(ctx: RbacContext) {
  const { db } = ctx;

  async function claimIn(app: Application, claimId: string): Promise<ClaimDefinition> {
    const claim = isUuid(claimId) ? await ctx.claims.findById(app.id, claimId) : null;
    if (!claim) throw claimNotFound();
    return claim;
  }

  const getClaim = async (appIdOrSlug: string, claimId: string) => claimIn(await ctx.application(appIdOrSlug), claimId);

  /** A user of any organization; `user_not_found` otherwise. */
  async function holder(userId: string): Promise<ClaimHolder> {
    const organizationId = isUuid(userId) ? await ctx.claims.organizationOfUser(userId) : null;
    if (organizationId === null) throw userNotFound();
    return { id: userId, organizationId };
  }

  /** The user exists and the actor may act on them (issue 9 item 7). */
  async function manageableHolder(actor: Actor, userId: string): Promise<ClaimHolder> {
    const user = await holder(userId);
    await ctx.adminAccess().assertMayManageUser(actor, user);
    return user;
  }

  // Values are user data and stay out of the audit trail.
  const record = (actor: Actor, claim: ClaimDefinition, eventType: string, metadata: Record<string, unknown> = {}, user?: ClaimHolder) =>
    ctx.audit.record(actor, {
      eventType,
      targetType: 'claim',
      targetId: claim.id,
      ...(user ? { userId: user.id, organizationId: user.organizationId } : {}),
      metadata: { applicationId: claim.applicationId, claimName: claim.claimName, ...metadata },
    });

  return {
    /** claim:create. The name is unique in the application, not reserved and, with the type, immutable. */
    async createClaim(actor: Actor, appIdOrSlug: string, input: CreateClaimInput): Promise<ClaimDefinition> {
      const parsed = parseInput(CreateClaimInput, input);
      if (RESERVED_CLAIM_NAMES.has(parsed.claimName)) throw claimNameReserved(parsed.claimName);
      const claim = await db.transaction(async () => {
        authorize(actor, 'admin:claim:create');
        const app = await ctx.writableApplication(appIdOrSlug);
        const made = await ctx.claims.insert(app.id, { ...parsed, description: parsed.description ?? null });
        await ctx.claimNames.invalidate();
        await record(actor, made, 'claim.created', { claimType: made.claimType });
        return made;
      });
      ctx.log.info({ applicationId: claim.applicationId, claimId: claim.id, claimName: claim.claimName }, 'claim.created');
      return claim;
    },

    async listClaims(appIdOrSlug: string): Promise<ClaimDefinition[]> {
      return ctx.claims.list((await ctx.application(appIdOrSlug)).id);
    },

    getClaim,

    /** claim:update. Description and include flags only. */
    async updateClaim(actor: Actor, appIdOrSlug: string, claimId: string, patch: UpdateClaimInput): Promise<ClaimDefinition> {
      const parsed = parseInput(UpdateClaimInput, patch);
      const { claimName, claimType, ...flags } = parsed;
      return db.transaction(async () => {
        authorize(actor, 'admin:claim:update');
        const previous = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
        if (claimName !== undefined && claimName !== previous.claimName) throw immutableField('claimName');
        if (claimType !== undefined && claimType !== previous.claimType) throw immutableField('claimType');
        const claim = await ctx.claims.update(previous.applicationId, previous.id, flags);
        if (!claim) throw claimNotFound();
        await record(actor, claim, 'claim.updated', { fields: Object.keys(parsed) });
        return claim;
      });
    },

    /** claim:archive. Every user's value goes with it. */
    async deleteClaim(actor: Actor, appIdOrSlug: string, claimId: string): Promise<ClaimDefinition> {
      const claim = await db.transaction(async () => {
        authorize(actor, 'admin:claim:archive');
        const found = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
        if (!(await ctx.claims.delete(found.applicationId, found.id))) throw claimNotFound();
        await ctx.claimNames.invalidate();
        await record(actor, found, 'claim.deleted');
        return found;
      });
      ctx.log.info({ claimId: claim.id, claimName: claim.claimName }, 'claim.deleted');
      return claim;
    },

    /** The user's values for this application's claims. */
    async listUserClaimValues(appIdOrSlug: string, userId: string): Promise<ClaimValue[]> {
      const app = await ctx.application(appIdOrSlug);
      await holder(userId);
      return ctx.claims.listValues(app.id, userId);
    },

    async getClaimValue(appIdOrSlug: string, claimId: string, userId: string): Promise<ClaimValue> {
      const claim = await getClaim(appIdOrSlug, claimId);
      await holder(userId);
      return (await ctx.claims.findValue(claim.id, userId)) ?? throwValueNotFound();
    },

    /**
     * claim:update. Creates or replaces the value, which must match the claim's type; only on a user
     * holding no admin power the actor lacks.
     */
    async setClaimValue(actor: Actor, appIdOrSlug: string, claimId: string, userId: string, input: ClaimValueInput): Promise<ClaimValue> {
      const { value } = parseInput(ClaimValueInput, input);
      return db.transaction(async () => {
        authorize(actor, 'admin:claim:update');
        const claim = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
        const user = await manageableHolder(actor, userId);
        if (!matchesClaimType(claim.claimType, value)) throw claimTypeMismatch(claim.claimType);
        const saved = await ctx.claims.upsertValue(claim.id, user.id, value);
        await record(actor, claim, 'claim.value_set', {}, user);
        return saved;
      });
    },

    /** claim:update, with the same protection as `setClaimValue`. */
    async deleteClaimValue(actor: Actor, appIdOrSlug: string, claimId: string, userId: string): Promise<void> {
      await db.transaction(async () => {
        authorize(actor, 'admin:claim:update');
        const claim = await claimIn(await ctx.writableApplication(appIdOrSlug), claimId);
        const user = await manageableHolder(actor, userId);
        if (!(await ctx.claims.deleteValue(claim.id, user.id))) throw claimValueNotFound();
        await record(actor, claim, 'claim.value_deleted', {}, user);
      });
    },
  };
}

function throwValueNotFound(): never {
  throw claimValueNotFound();
}
