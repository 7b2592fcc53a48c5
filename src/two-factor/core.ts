import type { Actor } from '../actors/index.js';
import type { AuditCategory, AuditService } from '../audit/index.js';
import type { MailService } from '../mail/index.js';
import type { Organization } from '../organizations/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import type { PasswordHasher, User } from '../users/index.js';
import { createSecretBox, type SecretBox } from './crypto.js';
import { notAccountOwner, userInactive, userNotFound } from './errors.js';
import { newRecoveryCodes, normalizeRecoveryCode } from './recovery.js';
import { createTwoFactorRepo, type TwoFactorRepo } from './repo.js';
import type { EnrolledMethod, TwoFactorPolicy } from './policy.js';

/** What the two-factor use cases consult in other domains; wired in services.ts. */
export interface TwoFactorServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  audit: Pick<AuditService, 'record'>;
  /** Argon2id of recovery codes: the password hasher's parameters. */
  passwords: Pick<PasswordHasher, 'hash' | 'verify' | 'verifyDummy'>;
  /** TWO_FACTOR_ENCRYPTION_KEY (64 hex); TOTP is unavailable without it. */
  encryptionKey: string | undefined;
  users: { findById(orgId: string, id: string): Promise<User | null> };
  organizations: { findById(id: string): Promise<Organization | null> };
  /** Spec 20 §3.3 protections (src/rbac/admin-access.ts). */
  adminAccess: () => {
    assertMayManageUser(actor: Actor, user: Pick<User, 'id' | 'organizationId'>): Promise<void>;
    isSuperAdminUser(userId: string): Promise<boolean>;
  };
  /** The outbox: rows join the use case's transaction and are sent after it commits. */
  mail: () => Pick<MailService, 'enqueue'>;
  /** `otp_code_ttl` (spec 40 §5). */
  settings: { getDuration(key: string): Promise<number> };
  /** The user's passkeys (spec 70 §1), once the passkey domain is wired; none without it. */
  passkeys?: () => { countForUser(orgId: string, userId: string): Promise<number> };
}

/** A user and the policy of their organization, as every use case starts. */
export interface Subject {
  user: User;
  org: Organization;
  policy: TwoFactorPolicy;
}

export type Core = ReturnType<typeof createCore>;

/** The pieces the use cases share: the repo, the secret box, loading, auditing and recovery codes. */
export function createCore(deps: TwoFactorServiceDeps) {
  const repo: TwoFactorRepo = createTwoFactorRepo(deps.db);
  const box: SecretBox = createSecretBox(deps.encryptionKey);
  const now = () => new Date(deps.clock.now());

  async function subject(orgId: string, userId: string): Promise<Subject> {
    if (!isUuid(orgId) || !isUuid(userId)) throw userNotFound();
    const [user, org] = await Promise.all([deps.users.findById(orgId, userId), deps.organizations.findById(orgId)]);
    if (!user || !org) throw userNotFound();
    return { user, org, policy: org.twoFactorPolicy };
  }

  /**
   * Enrolling shows a secret or creates the codes that stand in for the factor: only the account owner
   * (signed in, or half-way through a sign-in) or Porta itself may do it, and only for an active account.
   */
  function assertOwner(actor: Actor, user: User): void {
    const isOwner = actor.kind === 'account' && actor.userId === user.id && actor.organizationId === user.organizationId;
    if (!isOwner && actor.kind !== 'system') throw notAccountOwner();
    if (user.status !== 'active') throw userInactive();
  }

  const record = (actor: Actor, user: User, eventType: string, metadata: Record<string, unknown> = {}, eventCategory: AuditCategory = 'authentication') =>
    deps.audit.record(actor, { eventType, eventCategory, organizationId: user.organizationId, userId: user.id, targetType: 'user', targetId: user.id, metadata });

  /** Ten new codes and their Argon2id hashes; hashed before any transaction opens (≈ 10 × Argon2). */
  async function prepareRecoveryCodes(): Promise<{ codes: string[]; hashes: string[] }> {
    const codes = newRecoveryCodes();
    const hashes = await Promise.all(codes.map((code) => deps.passwords.hash(normalizeRecoveryCode(code)!)));
    return { codes, hashes };
  }

  return {
    deps, repo, box, now, subject, assertOwner, record, prepareRecoveryCodes,
    /** Turns the user's second factor on with `method`, or off with null. */
    async setMethod(user: User, method: EnrolledMethod | null): Promise<void> {
      if (!(await repo.setUserMethod(user.organizationId, user.id, method))) throw userNotFound();
    },
  };
}
