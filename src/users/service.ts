import { emptyKeysetPage, type KeysetPage, type KeysetWindow } from '../platform/db/keyset.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import type { Actor } from '../actors/index.js';
import type { MailService } from '../mail/index.js';
import { createAccountFlows, type FlowOrganization } from './account-flows.js';
import { createInvitations, type InvitationDeps } from './invitations.js';
import { createAccountTokenRepo } from './account-tokens.js';
import { createAuthenticator, type UserSettings } from './authenticate.js';
import { parseInput, userNotFound } from './errors.js';
import { createUserRepo, type User } from './repo.js';
import { ListUsersInput } from './schema.js';
import { createUserWrites, type UserWriteDeps } from './writes.js';
import { createSelfService, type SelfServiceDeps } from './self-service.js';
import { createEmailChange } from './email-change.js';

export interface UserServiceDeps extends Omit<UserWriteDeps, 'repo' | 'notifyPasswordChanged' | 'sessions'> {
  sessions: () => ReturnType<UserWriteDeps['sessions']> & ReturnType<SelfServiceDeps['sessions']>;
  log: Log;
  settings: UserSettings & { getDuration?(key: string): Promise<number> };
  /** E-mails of the account flows (spec 60 §8); none sent without it (unit tests). */
  mail?: () => Pick<MailService, 'enqueue' | 'render'>;
  /** ISSUER_BASE_URL, the base of every e-mailed link. */
  issuerBaseUrl?: string;
  /** The organization as invitations name it. */
  organization?: (orgId: string) => Promise<FlowOrganization | null>;
  /** Roles and claim values of invitations (rbac, which itself depends on users). */
  access?: InvitationDeps['access'];
}

/** Spec 40 §5 link lifetimes, when no setting store reads durations. */
const LINK_TTL_DEFAULTS: Readonly<Record<string, number>> = { magic_link_ttl: 900, password_reset_ttl: 3600, invitation_ttl: 604800 };

export interface UserPage {
  data: User[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

export interface TwoFactorSummary {
  totalUsers: number;
  enabledCount: number;
  disabledCount: number;
  totpCount: number;
  emailCount: number;
  complianceRate: number;
}

const UserSearchInput = ListUsersInput.pick({ status: true, search: true, sortBy: true });

export type UserService = ReturnType<typeof createUserService>;

export function createUserService(deps: UserServiceDeps) {
  const { db, clock, log, passwords, settings } = deps;
  const repo = createUserRepo(db);
  const now = () => new Date(clock.now());
  const linkDeps = {
    db, clock, log, repo, passwords, audit: deps.audit,
    tokens: createAccountTokenRepo(db),
    mail: deps.mail ?? (() => ({
      enqueue: async () => log.warn('mail.not_configured'),
      render: () => Promise.reject(new Error('mail is not configured: there are no templates to render with')),
    })),
    settings: { getDuration: (key: string) => settings.getDuration?.(key) ?? Promise.resolve(LINK_TTL_DEFAULTS[key] ?? 900) },
    issuerBaseUrl: deps.issuerBaseUrl ?? 'http://localhost',
  };
  const flows = createAccountFlows({ ...linkDeps, sessions: deps.sessions });
  const invitations = createInvitations({
    ...linkDeps, adminAccess: deps.adminAccess, access: deps.access, organization: deps.organization ?? (async () => null),
  });

  async function findById(orgId: string, id: string): Promise<User | null> {
    if (!isUuid(orgId) || !isUuid(id)) return null;
    return repo.findById(orgId, id);
  }

  async function getById(orgId: string, id: string): Promise<User> {
    const user = await findById(orgId, id);
    if (!user) throw userNotFound();
    return user;
  }

  return {
    ...createUserWrites({ ...deps, repo, notifyPasswordChanged: flows.notifyPasswordChanged }),
    ...flows,
    ...invitations,
    ...createSelfService({ ...deps, repo, notifyPasswordChanged: flows.notifyPasswordChanged }),
    ...createEmailChange({ ...linkDeps }),
    authenticate: createAuthenticator({ repo, clock, log, passwords, settings }),

    findById,
    getById,

    /** The user whatever its organization (`/api/admin/users/:userId/…`). */
    async findInAnyOrg(id: string): Promise<User | null> {
      return isUuid(id) ? repo.findAnyById(id) : null;
    },

    async getInAnyOrg(id: string): Promise<User> {
      const user = isUuid(id) ? await repo.findAnyById(id) : null;
      if (!user) throw userNotFound();
      return user;
    },

    async findByEmail(orgId: string, email: string): Promise<User | null> {
      const address = typeof email === 'string' ? email.trim() : '';
      if (!isUuid(orgId) || address === '' || address.length > 320) return null;
      return repo.findByEmail(orgId, address);
    },

    async list(orgId: string, query: ListUsersInput = {}): Promise<UserPage> {
      const f = parseInput(ListUsersInput, query);
      if (!isUuid(orgId)) return { data: [], total: 0, page: f.page, pageSize: f.pageSize, totalPages: 0 };
      const { rows, total } = await repo.list(orgId, { ...f, search: f.search || undefined });
      return { data: rows, total, page: f.page, pageSize: f.pageSize, totalPages: Math.ceil(total / f.pageSize) };
    },

    /** The cursor form of `list` (spec 20 §1 Cursor lists); the window comes from the cursor route. */
    async listKeyset(orgId: string, query: Pick<ListUsersInput, 'status' | 'search' | 'sortBy'>, window: KeysetWindow): Promise<KeysetPage<User>> {
      const f = parseInput(UserSearchInput, query);
      if (!isUuid(orgId)) return emptyKeysetPage();
      return repo.listKeyset(orgId, { ...f, search: f.search || undefined }, window);
    },

    /**
     * Step 9 of spec 60 §2 (also magic-link, passkey and 2FA completion): `last_login_at` = now,
     * `login_count` + 1, and the sign-in event (`user.login.magic_link`, …) audited with the signing-in
     * account as actor, in one transaction. Without an event (the password sign-in audits its own) the
     * update is a statement of its own: BEGIN and COMMIT would only add two round trips.
     */
    async recordLogin(actor: Actor, orgId: string, id: string, signIn: { eventType?: string; clientId?: string } = {}): Promise<User> {
      const record = async () => {
        const user = isUuid(orgId) && isUuid(id) ? await repo.recordLogin(orgId, id, now()) : null;
        if (!user) throw userNotFound();
        return user;
      };
      const { eventType } = signIn;
      if (!eventType) return record();
      return db.transaction(async () => {
        const user = await record();
        await deps.audit.record(actor, {
          eventType, eventCategory: 'authentication', organizationId: orgId, userId: id, targetType: 'user', targetId: id,
          metadata: { clientId: signIn.clientId ?? '' },
        });
        return user;
      });
    },

    /** Spec 20 §5.2 enrolment summary; complianceRate = enabled / total to 4 decimals (0 without users). */
    async twoFactorSummary(orgId: string): Promise<TwoFactorSummary> {
      const c = await repo.countTwoFactor(orgId);
      return {
        totalUsers: c.total,
        enabledCount: c.enabled,
        disabledCount: c.total - c.enabled,
        totpCount: c.totp,
        emailCount: c.email,
        complianceRate: c.total === 0 ? 0 : Math.round((c.enabled / c.total) * 10_000) / 10_000,
      };
    },
  };
}

