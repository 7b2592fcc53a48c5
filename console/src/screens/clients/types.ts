/** Shapes of the Admin API's client, secret, service-account and registration-token objects (docs/admin-api/clients.md…). */

export type ClientStatus = 'active' | 'inactive' | 'revoked';

export interface Client {
  id: string;
  organizationId: string;
  applicationId: string;
  clientId: string;
  clientName: string;
  clientType: 'confidential' | 'public';
  applicationType: 'web' | 'native' | 'spa';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  scope: string;
  tokenEndpointAuthMethod: string;
  allowedOrigins: string[];
  requirePkce: boolean;
  requireConsent: boolean;
  loginMethods: string[] | null;
  effectiveLoginMethods: string[];
  idTokenSignedResponseAlg: string;
  idTokenClaims: string;
  backchannelLogoutUri: string | null;
  backchannelLogoutSessionRequired: boolean;
  jwks: { keys: unknown[] } | null;
  jwksUri: string | null;
  status: ClientStatus;
  /** A service account's client: managed on its own screen. */
  isServiceAccount: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ClientSecret {
  id: string;
  clientId: string;
  label: string | null;
  status: 'active' | 'revoked';
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export type CreatedSecret = ClientSecret & { plaintext: string };

export interface ServiceAccount {
  id: string;
  clientId: string;
  name: string;
  description: string | null;
  status: 'active' | 'revoked';
  roles: string[];
  createdAt: string;
  updatedAt: string;
}

export interface RegistrationToken {
  id: string;
  organizationId: string;
  applicationId: string;
  label: string | null;
  status: 'active' | 'expired' | 'used_up' | 'revoked';
  expiresAt: string;
  maxUses: number | null;
  useCount: number;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface OrganizationSummary {
  id: string;
  name: string;
  slug: string;
  status: string;
}

export interface Data<T> {
  data: T;
}

export interface CursorPage<T> {
  data: T[];
  nextCursor: string | null;
  previousCursor: string | null;
}

export interface NumberedPage<T> {
  data: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

/** The built-in admin roles a service account may hold (src/actors/catalog.ts). */
export const ADMIN_ROLES = [
  { slug: 'porta-super-admin', label: 'Super Admin — every admin permission' },
  { slug: 'porta-org-admin', label: 'Organization Admin — organizations and stats' },
  { slug: 'porta-user-admin', label: 'User Admin — users, role assignment, sessions' },
  { slug: 'porta-app-admin', label: 'Application Admin — applications, clients, RBAC, claims' },
  { slug: 'porta-auditor', label: 'Auditor — read-only' },
] as const;

export const SUPER_ADMIN_ROLE = 'porta-super-admin';
