import { authorize, requireSuperAdmin, type Actor, type AdminPermission } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import type { OrganizationFields, OrganizationRepo } from './repo.js';
import { invalidSlug, invalidTransition, organizationNotFound, slugReserved, superAdminProtected } from './errors.js';
import { assertAdminsCanSignIn, assertMayChangeOrganization } from './protections.js';
import {
  BrandingInput,
  CreateOrganizationInput,
  SuspendOrganizationInput,
  TwoFactorPolicyInput,
  UpdateOrganizationInput,
  parseInput,
  type Branding,
  type Organization,
  type OrganizationStatus,
} from './schema.js';
import { slugCandidates, validateSlug } from './slug.js';

export interface OrganizationWriteDeps {
  db: Db;
  log: Log;
  repo: OrganizationRepo;
  audit: Pick<AuditService, 'record'>;
  /** `config.smtp.host` is set: a magic link can reach an admin (issue 9 item 10). */
  isMailConfigured: boolean;
  /** Drops the cached lookups by id and slugs (transaction-aware: repeated after commit). */
  invalidate(id: string, ...slugs: string[]): Promise<void>;
}

export interface OrganizationStatusChange {
  organization: Organization;
  previousStatus: OrganizationStatus;
}

/** Checks the current state before a change (the admin API's If-Match); throws to refuse it. */
export type OrganizationPrecondition = (current: Organization) => void;

const MAX_DERIVED_SLUG_ATTEMPTS = 1000;
const LOOKUP_SLUG = /^[a-z0-9-]{1,100}$/;

/** Spec 20 §5.1 status changes: permission, legal origins, target and audit event. */
const TRANSITIONS = {
  suspend: { permission: 'admin:org:suspend', from: ['active'], to: 'suspended', eventType: 'organization.suspended' },
  activate: { permission: 'admin:org:suspend', from: ['suspended'], to: 'active', eventType: 'organization.activated' },
  archive: { permission: 'admin:org:archive', from: ['active', 'suspended'], to: 'archived', eventType: 'organization.archived' },
  restore: { permission: 'admin:org:archive', from: ['archived'], to: 'active', eventType: 'organization.restored' },
} as const satisfies Record<string, { permission: AdminPermission; from: readonly OrganizationStatus[]; to: OrganizationStatus; eventType: string }>;

export type OrganizationTransition = keyof typeof TRANSITIONS;

/**
 * The write use cases on organizations (spec 20 §5.1–§5.2). Each authorizes the actor, applies the
 * protections of the admin organization (spec 20 §3.3, issue 9 items 8 and 10), changes the row and
 * writes its audit entry in one transaction: a refusal or a failed audit insert changes nothing.
 */
export function createOrganizationWrites(deps: OrganizationWriteDeps) {
  const { db, log, repo, audit, isMailConfigured, invalidate } = deps;

  function assertSlug(slug: string): void {
    const check = validateSlug(slug);
    if (!check.isValid) throw check.reason === 'reserved' ? slugReserved(slug) : invalidSlug(slug);
  }

  async function insertWithDerivedSlug(fields: Omit<OrganizationFields, 'slug'>): Promise<Organization> {
    let attempts = 0;
    for (const slug of slugCandidates(fields.name, 'organization')) {
      if (++attempts > MAX_DERIVED_SLUG_ATTEMPTS) break;
      if (await repo.isSlugTaken(slug)) continue;
      try {
        // A savepoint: the use case's transaction survives a lost race for the slug.
        return await db.transaction(() => repo.insert({ ...fields, slug }));
      } catch (err) {
        if (err instanceof AppError && err.code === 'organization_slug_taken') continue;
        throw err;
      }
    }
    throw new AppError('conflict', 'organization_slug_taken', 'No free slug could be derived from the name; pass one.');
  }

  const loadForWrite = (idOrSlug: string) => lockOrganization(repo, idOrSlug);

  async function save(current: Organization, patch: Partial<OrganizationFields>): Promise<Organization> {
    const updated = await repo.update(current.id, patch);
    if (!updated) throw organizationNotFound();
    await invalidate(current.id, current.slug, updated.slug);
    return updated;
  }

  const record = (actor: Actor, org: Organization, eventType: string, metadata: Record<string, unknown>) =>
    audit.record(actor, { eventType, targetType: 'organization', targetId: org.id, organizationId: org.id, metadata });

  async function move(actor: Actor, idOrSlug: string, name: OrganizationTransition, reason?: string): Promise<OrganizationStatusChange> {
    const rule = TRANSITIONS[name];
    const change = await db.transaction(async () => {
      authorize(actor, rule.permission);
      const current = await loadForWrite(idOrSlug);
      if (current.isSuperAdmin) {
        // Spec 20 §3.3: never suspended, archived, restored or bulk-changed; any other status change is a super admin's.
        if (name !== 'activate' || actor.source === 'bulk') throw superAdminProtected();
        requireSuperAdmin(actor, "Only a super admin may change the super-admin organization's status.");
      }
      const from: readonly OrganizationStatus[] = rule.from;
      if (!from.includes(current.status)) throw invalidTransition(current.status, rule.to);
      const organization = await repo.transition(current.id, rule.from, rule.to);
      if (!organization) throw invalidTransition((await loadForWrite(current.id)).status, rule.to);
      await invalidate(current.id, current.slug);
      await record(actor, organization, rule.eventType, { previousStatus: current.status, status: organization.status, ...(reason ? { reason } : {}) });
      return { organization, previousStatus: current.status };
    });
    log.info({ organizationId: change.organization.id, from: change.previousStatus, to: rule.to }, 'organization.status_changed');
    return change;
  }

  return {
    async create(actor: Actor, input: CreateOrganizationInput): Promise<Organization> {
      const parsed = parseInput(CreateOrganizationInput, input);
      if (parsed.slug !== undefined) assertSlug(parsed.slug);
      const fields = {
        name: parsed.name,
        defaultLocale: parsed.defaultLocale,
        defaultLoginMethods: parsed.defaultLoginMethods,
        twoFactorPolicy: parsed.twoFactorPolicy,
        dynamicRegistration: parsed.dynamicRegistration,
        passkeyEnrolmentPrompt: parsed.passkeyEnrolmentPrompt,
        accountPortalEnabled: parsed.accountPortalEnabled,
        ...fullBranding(parsed.branding),
      };
      const organization = await db.transaction(async () => {
        authorize(actor, 'admin:org:create');
        const org = parsed.slug === undefined ? await insertWithDerivedSlug(fields) : await repo.insert({ ...fields, slug: parsed.slug });
        // Nothing to invalidate: lookups never cache a miss, and a new id or free slug was never cached.
        await record(actor, org, 'organization.created', { name: org.name, slug: org.slug });
        return org;
      });
      log.info({ organizationId: organization.id, slug: organization.slug }, 'organization.created');
      return organization;
    },

    /** Settings, slug and branding; on the admin organization only by a super admin, keeping a usable sign-in method. */
    async update(actor: Actor, idOrSlug: string, input: UpdateOrganizationInput, precondition?: OrganizationPrecondition): Promise<Organization> {
      const parsed = parseInput(UpdateOrganizationInput, input);
      return db.transaction(async () => {
        authorize(actor, 'admin:org:update');
        const current = await loadForWrite(idOrSlug);
        assertMayChangeOrganization(actor, current);
        precondition?.(current);
        if (parsed.slug !== undefined && parsed.slug !== current.slug) assertSlug(parsed.slug);
        if (current.isSuperAdmin && parsed.defaultLoginMethods !== undefined) assertAdminsCanSignIn(parsed.defaultLoginMethods, isMailConfigured);
        // Spec 70 §5: the admin organization's clients are the built-in ones and service accounts, never registered ones.
        if (current.isSuperAdmin && parsed.dynamicRegistration === true) throw superAdminProtected('The super-admin organization never accepts dynamic client registration.');
        const { branding, ...fields } = parsed;
        const updated = await save(current, { ...fields, ...(branding ?? {}) });
        const switched = {
          ...(parsed.dynamicRegistration === undefined ? {} : { dynamicRegistration: parsed.dynamicRegistration }),
          ...(parsed.passkeyEnrolmentPrompt === undefined ? {} : { passkeyEnrolmentPrompt: parsed.passkeyEnrolmentPrompt }),
          ...(parsed.accountPortalEnabled === undefined ? {} : { accountPortalEnabled: parsed.accountPortalEnabled }),
        };
        await record(actor, updated, 'organization.updated', { fields: Object.keys(parsed), ...switched });
        return updated;
      });
    },

    /** `null` clears a field; absent fields stay as they are. */
    async updateBranding(actor: Actor, idOrSlug: string, input: BrandingInput): Promise<Organization> {
      const parsed = parseInput(BrandingInput, input);
      return db.transaction(async () => {
        authorize(actor, 'admin:org:update');
        const current = await loadForWrite(idOrSlug);
        assertMayChangeOrganization(actor, current, "Only a super admin may change the super-admin organization's branding.");
        const updated = await save(current, parsed);
        await record(actor, updated, 'organization.branding_updated', { fields: Object.keys(parsed) });
        return updated;
      });
    },

    /** Spec 20 §5.2 PUT `two-factor/policy`. */
    async updateTwoFactorPolicy(actor: Actor, idOrSlug: string, input: TwoFactorPolicyInput, precondition?: OrganizationPrecondition): Promise<Organization> {
      const { twoFactorPolicy } = parseInput(TwoFactorPolicyInput, input);
      return db.transaction(async () => {
        authorize(actor, 'admin:org:update');
        const current = await loadForWrite(idOrSlug);
        assertMayChangeOrganization(actor, current, "Only a super admin may change the super-admin organization's 2FA policy.");
        precondition?.(current);
        const updated = await save(current, { twoFactorPolicy });
        await record(actor, updated, 'org.2fa.policy_changed', { previousPolicy: current.twoFactorPolicy, newPolicy: twoFactorPolicy });
        return updated;
      });
    },

    /** active → suspended. */
    async suspend(actor: Actor, idOrSlug: string, input: SuspendOrganizationInput = {}): Promise<OrganizationStatusChange> {
      const { reason } = parseInput(SuspendOrganizationInput, input);
      return move(actor, idOrSlug, 'suspend', reason);
    },
    /** suspended → active. */
    activate: (actor: Actor, idOrSlug: string) => move(actor, idOrSlug, 'activate'),
    /** active | suspended → archived. */
    archive: (actor: Actor, idOrSlug: string) => move(actor, idOrSlug, 'archive'),
    /** archived → active. */
    restore: (actor: Actor, idOrSlug: string) => move(actor, idOrSlug, 'restore'),
  };
}

/** The addressed organization (id or slug), locked until the transaction ends. */
export async function lockOrganization(repo: OrganizationRepo, idOrSlug: string): Promise<Organization> {
  const current = isUuid(idOrSlug) ? await repo.lockById(idOrSlug) : LOOKUP_SLUG.test(idOrSlug) ? await repo.lockBySlug(idOrSlug) : null;
  if (!current) throw organizationNotFound();
  return current;
}

function fullBranding(input: BrandingInput): Branding {
  return {
    logoUrl: input.logoUrl ?? null,
    faviconUrl: input.faviconUrl ?? null,
    primaryColor: input.primaryColor ?? null,
    companyName: input.companyName ?? null,
    customCss: input.customCss ?? null,
  };
}
