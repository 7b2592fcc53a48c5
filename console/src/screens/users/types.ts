/** Shapes of the Admin API answers the user screens read (docs/admin-api/users.md, rbac.md, sessions.md). */

export type UserStatus = 'active' | 'inactive' | 'suspended' | 'locked';

export interface UserAddress {
  street: string | null;
  locality: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}

export interface User {
  id: string;
  organizationId: string;
  email: string;
  emailVerified: boolean;
  hasPassword: boolean;
  passwordChangedAt: string | null;
  givenName: string | null;
  familyName: string | null;
  middleName: string | null;
  nickname: string | null;
  preferredUsername: string | null;
  profileUrl: string | null;
  pictureUrl: string | null;
  websiteUrl: string | null;
  gender: string | null;
  birthdate: string | null;
  zoneinfo: string | null;
  locale: string | null;
  phoneNumber: string | null;
  phoneNumberVerified: boolean;
  address: UserAddress | null;
  status: UserStatus;
  lockedAt: string | null;
  lockedReason: string | null;
  lastLoginAt: string | null;
  loginCount: number;
  failedLoginCount: number;
  twoFactorEnabled: boolean;
  twoFactorMethod: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CursorPage<T> {
  data: T[];
  nextCursor: string | null;
  previousCursor: string | null;
  hasMore: boolean;
}

export interface TwoFactorStatus {
  enabled: boolean;
  method: 'email' | 'totp' | null;
  totpConfigured: boolean;
  totpVerified: boolean;
  recoveryCodesRemaining: number;
  passkeys: number;
  policy: string;
}

export interface Passkey {
  id: string;
  name: string | null;
  aaguid: string | null;
  isBackedUp: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface Role {
  id: string;
  applicationId: string;
  name: string;
  slug: string;
  description: string | null;
}

export interface Application {
  id: string;
  name: string;
  slug: string;
}

export interface ClaimDefinition {
  id: string;
  applicationId: string;
  claimName: string;
  claimType: 'string' | 'number' | 'boolean' | 'json';
  description: string | null;
}

export interface ClaimValue {
  id: string;
  userId: string;
  claimId: string;
  claimName: string;
  value: unknown;
}

export interface TrackedSession {
  sessionId: string;
  userId: string;
  clientId: string | null;
  organizationId: string;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
  expiresAt: string;
  lastActivityAt: string;
  revokedAt: string | null;
}

export interface InvitationPreview {
  subject: string;
  html: string;
  text: string;
}

export interface InvitationResult {
  userId: string;
  email: string;
  created: boolean;
  invitationSent: boolean;
  expiresAt: string;
}

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
