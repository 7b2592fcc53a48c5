import { ADMIN_APPLICATION_SLUG, SUPER_ADMIN_ROLE, authorize, type Actor } from '../actors/index.js';
import type { AuditEntry, AuditService } from '../audit/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import type { EndedAccess } from '../sessions/index.js';
import { userNotFound } from './errors.js';
import { superAdminProtected } from './writes.js';
import * as gdprRepo from './gdpr-repo.js';
import type { ExportedClaim, ExportedGrant, ExportedRole } from './gdpr-repo.js';
import type { User } from './repo.js';
import type { UserService } from './service.js';

export interface UserGdprServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  users: Pick<UserService, 'getById'>;
  organizations: { getById(id: string): Promise<{ id: string; name: string; slug: string }> };
  audit: Pick<AuditService, 'record'> & {
    listAboutOrBy(userId: string, limit?: number): Promise<AuditEntry[]>;
    anonymizeForUser(userId: string): Promise<number>;
  };
  /** Spec 20 §3.3 and issue 9 item 7 (src/rbac/admin-access.ts). */
  adminAccess: () => {
    assertMayManageUser(actor: Actor, user: { id: string; organizationId: string }): Promise<void>;
    isSuperAdminUser(userId: string): Promise<boolean>;
  };
  /** Tracked sessions (spec 10 §10): listed in the export, ended with the cascade by a purge. */
  sessions: {
    list(query: { userId: string; activeOnly: boolean; pageSize: number }): Promise<{
      data: Array<{ ipAddress: string | null; userAgent: string | null; createdAt: Date; expiresAt: Date; revokedAt: Date | null }>;
    }>;
    endAllForUser(organizationId: string, userId: string): Promise<EndedAccess>;
  };
  /** Second factors (src/two-factor): their metadata in the export, deleted by a purge. */
  twoFactor?: {
    exportData(organizationId: string, userId: string): Promise<ExportedTwoFactor>;
    purgeForUser(organizationId: string, userId: string): Promise<number>;
  };
  /** Passkeys (src/passkeys): listed in the export without their keys, deleted by a purge. */
  passkeys?: {
    exportData(organizationId: string, userId: string): Promise<ExportedPasskey[]>;
    purgeForUser(organizationId: string, userId: string): Promise<number>;
  };
}

/** Spec 70 §1 / 50 §11: a passkey in the export, never its public key or credential id. */
export interface ExportedPasskey {
  id: string;
  name: string | null;
  aaguid: string | null;
  backedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Spec 50 §11 `twoFactor`, with the enrolment's metadata: never a secret, code or hash. */
export interface ExportedTwoFactor {
  enabled: boolean;
  method: string | null;
  totpConfigured: boolean;
  recoveryCodesRemaining: number;
  totp?: { verified: boolean; createdAt: string; updatedAt: string; lastUsedAt: string | null } | null;
  recoveryCodes?: { remaining: number; used: number };
  otpCodes?: Array<{ createdAt: string; expiresAt: string; usedAt: string | null; attempts: number }>;
}

/** Spec 50 §11 export document (Art. 20). */
export interface UserDataExport {
  exportedAt: string;
  user: ExportedUser;
  organization: { id: string; name: string; slug: string };
  roles: ExportedRole[];
  customClaims: ExportedClaim[];
  auditLog: { id: string; eventType: string; eventCategory: string; description: string | null; ipAddress: string | null; createdAt: string }[];
  twoFactor: ExportedTwoFactor;
  passkeys: ExportedPasskey[];
  sessions: { ipAddress: string | null; userAgent: string | null; createdAt: string; expiresAt: string; revokedAt: string | null }[];
  activeGrants: ExportedGrant[];
}

type ExportedUser = Omit<User, 'organizationId' | 'hasPassword' | 'passwordChangedAt' | 'lockedAt' | 'lockedReason' | 'failedLoginCount'
  | 'lastFailedLoginAt' | 'loginCount' | 'twoFactorEnabled' | 'twoFactorMethod' | 'updatedAt' | 'profileUpdatedAt'>;

/** Spec 20 §5.6 purge result. */
export interface PurgeResult {
  userId: string;
  anonymizedEmail: string;
  deletedRoles: number;
  deletedClaims: number;
  deletedTwoFactor: number;
  deletedTokens: number;
  revokedSessions: number;
  anonymizedAuditEntries: number;
}

const AUDIT_EXPORT_LIMIT = 1000;

const ownAccount = () => new AppError('forbidden', 'protected_resource', 'You cannot purge your own account.');

export type UserGdprService = ReturnType<typeof createUserGdprService>;

export function createUserGdprService({ db, clock, log, users, organizations, audit, adminAccess, sessions, twoFactor, passkeys }: UserGdprServiceDeps) {
  async function assertPurgeable(actor: Actor, user: { id: string; organizationId: string }): Promise<void> {
    const userId = user.id;
    // Issue 9 item 11: purging oneself would anonymise one's own audit trail.
    if (actor.userId === userId) throw ownAccount();
    if (await adminAccess().isSuperAdminUser(userId)) throw superAdminProtected('The super-admin user cannot be purged.');
    if (await gdprRepo.holdsRole(db, userId, ADMIN_APPLICATION_SLUG, SUPER_ADMIN_ROLE)) {
      throw superAdminProtected('A holder of porta-super-admin cannot be purged; remove the role first.');
    }
    await adminAccess().assertMayManageUser(actor, user);
  }

  return {
    /** Spec 50 §11 (Art. 20) export; reading it is audited (`user.data_exported`). */
    async exportData(actor: Actor, orgId: string, userId: string): Promise<UserDataExport> {
      authorize(actor, 'admin:user:read');
      const document = await buildExport(orgId, userId);
      await audit.record(actor, {
        eventType: 'user.data_exported', eventCategory: 'gdpr', targetType: 'user', targetId: userId, organizationId: orgId, userId,
        metadata: { roles: document.roles.length, customClaims: document.customClaims.length, auditEntries: document.auditLog.length },
      });
      return document;
    },

    /**
     * Spec 50 §11 purge (Art. 17), irreversible, in one transaction with its audit entry: the account's
     * sessions, grants and tokens, claim values and role assignments go; the user row is anonymised;
     * audit rows about or by the user lose metadata, IP and user agent. Refused for oneself, the
     * super-admin user, super-admin holders and anyone holding admin permissions the actor lacks.
     */
    async purge(actor: Actor, orgId: string, userId: string): Promise<PurgeResult> {
      const result = await db.transaction(async (): Promise<PurgeResult> => {
        authorize(actor, 'admin:user:archive');
        const user = await users.getById(orgId, userId);
        await assertPurgeable(actor, user);
        const ended = await sessions.endAllForUser(orgId, userId);
        const { deletedTokens, deletedClaims, deletedRoles } = await gdprRepo.deleteAccountData(db, orgId, userId);
        // Passkeys are factors too (issue 15 item 4): counted with the others.
        const deletedTwoFactor = ((await twoFactor?.purgeForUser(orgId, userId)) ?? 0) + ((await passkeys?.purgeForUser(orgId, userId)) ?? 0);
        const anonymizedEmail = await gdprRepo.anonymizeUser(db, orgId, userId);
        if (anonymizedEmail === null) throw userNotFound();
        const anonymizedAuditEntries = await audit.anonymizeForUser(userId);
        const purged: PurgeResult = {
          userId, anonymizedEmail, deletedRoles, deletedClaims, deletedTwoFactor, deletedTokens: deletedTokens + ended.tokens,
          revokedSessions: ended.sessions, anonymizedAuditEntries,
        };
        const { anonymizedEmail: _email, ...counts } = purged;
        await audit.record(actor, { eventType: 'user.purged', eventCategory: 'gdpr', targetType: 'user', targetId: userId, organizationId: orgId, userId, metadata: counts });
        return purged;
      });
      log.info({ userId, organizationId: orgId }, 'user.purged');
      return result;
    },
  };

  async function buildExport(orgId: string, userId: string): Promise<UserDataExport> {
    const user = await users.getById(orgId, userId);
    const now = new Date(clock.now());
    const [organization, roles, customClaims, entries, activeGrants, factors, userPasskeys] = await Promise.all([
      organizations.getById(orgId),
      gdprRepo.listRoles(db, userId),
      gdprRepo.listClaims(db, userId),
      audit.listAboutOrBy(userId, AUDIT_EXPORT_LIMIT),
      gdprRepo.listActiveGrants(db, orgId, userId, now),
      twoFactor?.exportData(orgId, userId),
      passkeys?.exportData(orgId, userId),
    ]);
    return {
      exportedAt: now.toISOString(),
      user: exportedUser(user),
      organization: { id: organization.id, name: organization.name, slug: organization.slug },
      roles,
      customClaims,
      auditLog: entries.map((e) => ({
        id: e.id, eventType: e.eventType, eventCategory: e.eventCategory, description: e.description, ipAddress: e.ipAddress,
        createdAt: e.createdAt.toISOString(),
      })),
      twoFactor: factors ?? { enabled: user.twoFactorEnabled, method: user.twoFactorMethod, totpConfigured: false, recoveryCodesRemaining: 0 },
      passkeys: userPasskeys ?? [],
      sessions: (await sessions.list({ userId, activeOnly: false, pageSize: 100 })).data.map((t) => ({
        ipAddress: t.ipAddress, userAgent: t.userAgent, createdAt: t.createdAt.toISOString(), expiresAt: t.expiresAt.toISOString(),
        revokedAt: t.revokedAt?.toISOString() ?? null,
      })),
      activeGrants,
    };
  }
}

function exportedUser(u: User): ExportedUser {
  return {
    id: u.id, email: u.email, emailVerified: u.emailVerified, givenName: u.givenName, familyName: u.familyName, middleName: u.middleName,
    nickname: u.nickname, preferredUsername: u.preferredUsername, profileUrl: u.profileUrl, pictureUrl: u.pictureUrl,
    websiteUrl: u.websiteUrl, gender: u.gender, birthdate: u.birthdate, zoneinfo: u.zoneinfo, locale: u.locale,
    phoneNumber: u.phoneNumber, phoneNumberVerified: u.phoneNumberVerified, address: u.address, status: u.status,
    createdAt: u.createdAt, lastLoginAt: u.lastLoginAt,
  };
}
