import type { Clock } from '../platform/clock.js';
import type { Db, Queryable } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { ADMIN_APPLICATION_SLUG, SUPER_ADMIN_ROLE } from '../rbac/index.js';
import type { AuditEntry } from '../audit/index.js';
import { userNotFound } from './errors.js';
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
  audit: {
    listAboutOrBy(userId: string, limit?: number): Promise<AuditEntry[]>;
    anonymizeForUser(userId: string, tx?: Queryable): Promise<number>;
  };
  /** `super_admin_user_id`, null before `porta init`. */
  superAdminUserId: () => Promise<string | null>;
  /** Tracked sessions (spec 10 §10): listed in the export, ended with the cascade by a purge. */
  sessions: {
    list(query: { userId: string; activeOnly: boolean; pageSize: number }): Promise<{
      data: Array<{ ipAddress: string | null; userAgent: string | null; createdAt: Date; expiresAt: Date; revokedAt: Date | null }>;
    }>;
    revokeAllForUser(userId: string): Promise<number>;
  };
}

/** Spec 50 §11 export document (Art. 20). */
export interface UserDataExport {
  exportedAt: string;
  user: ExportedUser;
  organization: { id: string; name: string; slug: string };
  roles: ExportedRole[];
  customClaims: ExportedClaim[];
  auditLog: { id: string; eventType: string; eventCategory: string; description: string | null; ipAddress: string | null; createdAt: string }[];
  twoFactor: { enabled: boolean; method: string | null; totpConfigured: boolean; recoveryCodesRemaining: number };
  sessions: { ipAddress: string | null; userAgent: string | null; createdAt: string; expiresAt: string; revokedAt: string | null }[];
  activeGrants: ExportedGrant[];
}

type ExportedUser = Omit<User, 'organizationId' | 'hasPassword' | 'passwordChangedAt' | 'lockedAt' | 'lockedReason' | 'failedLoginCount'
  | 'lastFailedLoginAt' | 'loginCount' | 'twoFactorEnabled' | 'twoFactorMethod' | 'updatedAt'>;

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

export const superAdminProtected = (message: string) => new AppError('forbidden', 'super_admin_protected', message);

export type UserGdprService = ReturnType<typeof createUserGdprService>;

export function createUserGdprService({ db, clock, log, users, organizations, audit, superAdminUserId, sessions }: UserGdprServiceDeps) {
  /** Spec 20 §3.3: the user `porta init` created. */
  async function isSuperAdminUser(userId: string): Promise<boolean> {
    return (await superAdminUserId()) === userId;
  }

  async function assertPurgeable(userId: string): Promise<void> {
    if (await isSuperAdminUser(userId)) throw superAdminProtected('The super-admin user cannot be purged.');
    if (await gdprRepo.holdsRole(db, userId, ADMIN_APPLICATION_SLUG, SUPER_ADMIN_ROLE)) {
      throw superAdminProtected('A holder of porta-super-admin cannot be purged; remove the role first.');
    }
  }

  return {
    isSuperAdminUser,

    async exportData(orgId: string, userId: string): Promise<UserDataExport> {
      const user = await users.getById(orgId, userId);
      const now = new Date(clock.now());
      const [organization, roles, customClaims, entries, activeGrants] = await Promise.all([
        organizations.getById(orgId),
        gdprRepo.listRoles(db, userId),
        gdprRepo.listClaims(db, userId),
        audit.listAboutOrBy(userId, AUDIT_EXPORT_LIMIT),
        gdprRepo.listActiveGrants(db, orgId, userId, now),
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
        // TOTP secrets and recovery codes are not stored yet.
        twoFactor: { enabled: user.twoFactorEnabled, method: user.twoFactorMethod, totpConfigured: false, recoveryCodesRemaining: 0 },
        sessions: (await sessions.list({ userId, activeOnly: false, pageSize: 100 })).data.map((t) => ({
          ipAddress: t.ipAddress, userAgent: t.userAgent, createdAt: t.createdAt.toISOString(), expiresAt: t.expiresAt.toISOString(),
          revokedAt: t.revokedAt?.toISOString() ?? null,
        })),
        activeGrants,
      };
    },

    /**
     * Spec 50 §11 purge (Art. 17), irreversible, in one transaction: the account's grants and tokens,
     * claim values and role assignments go; the user row is anonymised; audit rows about or by the
     * user lose metadata, IP and user agent. Refused for the super-admin user and super-admin holders.
     */
    async purge(orgId: string, userId: string): Promise<PurgeResult> {
      await users.getById(orgId, userId);
      await assertPurgeable(userId);
      // Live sessions sit in the ephemeral store, outside the transaction: end them first, with their tokens.
      const revokedSessions = await sessions.revokeAllForUser(userId);
      const result = await db.transaction(async (tx): Promise<PurgeResult> => {
        const { deletedTokens, deletedClaims, deletedRoles } = await gdprRepo.deleteAccountData(tx, orgId, userId);
        const anonymizedEmail = await gdprRepo.anonymizeUser(tx, orgId, userId);
        if (anonymizedEmail === null) throw userNotFound();
        const anonymizedAuditEntries = await audit.anonymizeForUser(userId, tx);
        return {
          userId, anonymizedEmail, deletedRoles, deletedClaims, deletedTwoFactor: 0, deletedTokens, revokedSessions, anonymizedAuditEntries,
        };
      });
      log.info({ userId, organizationId: orgId }, 'user.purged');
      return result;
    },
  };
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
