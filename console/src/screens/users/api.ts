import { api, apiResponse } from '../../api/client';
import type {
  Application, ClaimDefinition, ClaimValue, CursorPage, InvitationPreview, InvitationResult, Passkey, PurgeResult, Role,
  TrackedSession, TwoFactorStatus, User, UserStatus,
} from './types';

/** Paths and calls of the user screens, so each screen names what it does rather than building URLs. */
export const userPath = (orgId: string, userId?: string) =>
  `/organizations/${encodeURIComponent(orgId)}/users${userId ? `/${encodeURIComponent(userId)}` : ''}`;

/** TanStack Query keys: every write invalidates the user's key prefix. */
export const userKeys = {
  list: (orgId: string) => ['users', orgId] as const,
  one: (orgId: string, userId: string) => ['users', orgId, userId] as const,
  part: (orgId: string, userId: string, part: string) => ['users', orgId, userId, part] as const,
};

export const PAGE_SIZE = 25;

export function listUsers(orgId: string, cursor: string | null, search: string, status: UserStatus | null): Promise<CursorPage<User>> {
  return api<CursorPage<User>>(userPath(orgId), {
    query: { limit: PAGE_SIZE, cursor: cursor ?? undefined, search: search.trim() || undefined, status: status ?? undefined, sortBy: 'created_at', sortOrder: 'desc' },
  });
}

/** The user with its ETag, which the profile form sends back as If-Match (a concurrent change is 412). */
export async function getUser(orgId: string, userId: string): Promise<{ user: User; etag: string | null }> {
  const res = await apiResponse<{ data: User }>(userPath(orgId, userId));
  return { user: res.body.data, etag: res.etag };
}

/** The org-less alias: finds a user whose organization the admin does not know. */
export async function findUserAnywhere(userId: string): Promise<User> {
  return (await api<{ data: User }>(`/users/${encodeURIComponent(userId)}`)).data;
}

export async function createUser(orgId: string, input: Record<string, unknown>): Promise<User> {
  return (await api<{ data: User }>(userPath(orgId), { method: 'POST', body: input })).data;
}

export async function updateUser(orgId: string, userId: string, patch: Record<string, unknown>, etag: string | null): Promise<User> {
  return (await api<{ data: User }>(userPath(orgId, userId), { method: 'PUT', body: patch, ifMatch: etag ?? undefined })).data;
}

export type StatusAction = 'deactivate' | 'reactivate' | 'suspend' | 'unsuspend' | 'lock' | 'unlock';

export async function changeStatus(orgId: string, userId: string, action: StatusAction, reason?: string): Promise<void> {
  const hasReason = action === 'suspend' || action === 'lock';
  await api<void>(`${userPath(orgId, userId)}/${action}`, { method: 'POST', body: hasReason && reason ? { reason } : hasReason ? {} : undefined });
}

export async function setPassword(orgId: string, userId: string, password: string): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/password`, { method: 'POST', body: { password } });
}

export async function clearPassword(orgId: string, userId: string): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/password`, { method: 'DELETE' });
}

export async function verifyEmail(orgId: string, userId: string): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/verify-email`, { method: 'POST' });
}

export interface InviteInput {
  email: string;
  givenName?: string;
  familyName?: string;
  personalMessage?: string;
  locale?: string;
}

export async function previewInvitation(orgId: string, input: InviteInput): Promise<InvitationPreview> {
  return (await api<{ data: InvitationPreview }>(`${userPath(orgId)}/invite/preview`, { method: 'POST', body: input })).data;
}

export async function inviteUser(orgId: string, input: InviteInput & { roles?: { applicationId: string; roleId: string }[] }): Promise<InvitationResult> {
  return (await api<{ data: InvitationResult }>(`${userPath(orgId)}/invite`, { method: 'POST', body: input })).data;
}

export async function listUserRoles(orgId: string, userId: string): Promise<Role[]> {
  return (await api<{ data: Role[] }>(`${userPath(orgId, userId)}/roles`)).data;
}

export async function assignRoles(orgId: string, userId: string, roleIds: string[]): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/roles`, { method: 'PUT', body: { roleIds } });
}

export async function removeRoles(orgId: string, userId: string, roleIds: string[]): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/roles`, { method: 'DELETE', body: { roleIds } });
}

/** Applications for the role and claim pickers (needs `app:read`; 100 is the API's page maximum). */
export async function listApplications(): Promise<Application[]> {
  return (await api<{ data: Application[] }>('/applications', { query: { pageSize: 100, sortBy: 'name', sortOrder: 'asc' } })).data;
}

export const appPath = (appIdOrSlug: string) => `/applications/${encodeURIComponent(appIdOrSlug)}`;

export async function listAppRoles(appIdOrSlug: string): Promise<Role[]> {
  return (await api<{ data: Role[] }>(`${appPath(appIdOrSlug)}/roles`)).data;
}

export async function listAppClaims(appIdOrSlug: string): Promise<ClaimDefinition[]> {
  return (await api<{ data: ClaimDefinition[] }>(`${appPath(appIdOrSlug)}/claims`)).data;
}

export async function listUserClaimValues(appIdOrSlug: string, userId: string): Promise<ClaimValue[]> {
  return (await api<{ data: ClaimValue[] }>(`${appPath(appIdOrSlug)}/claims/users/${encodeURIComponent(userId)}`)).data;
}

export async function setClaimValue(appIdOrSlug: string, claimId: string, userId: string, value: unknown): Promise<void> {
  await api<unknown>(`${appPath(appIdOrSlug)}/claims/${encodeURIComponent(claimId)}/users/${encodeURIComponent(userId)}`, { method: 'PUT', body: { value } });
}

export async function deleteClaimValue(appIdOrSlug: string, claimId: string, userId: string): Promise<void> {
  await api<void>(`${appPath(appIdOrSlug)}/claims/${encodeURIComponent(claimId)}/users/${encodeURIComponent(userId)}`, { method: 'DELETE' });
}

export async function twoFactorStatus(orgId: string, userId: string): Promise<TwoFactorStatus> {
  return (await api<{ data: TwoFactorStatus }>(`${userPath(orgId, userId)}/two-factor/status`)).data;
}

export async function resetTwoFactor(orgId: string, userId: string): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/two-factor/reset`, { method: 'POST' });
}

export async function disableTwoFactor(orgId: string, userId: string): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/two-factor/disable`, { method: 'POST' });
}

export async function regenerateRecoveryCodes(orgId: string, userId: string): Promise<string[]> {
  return (await api<{ data: { recoveryCodes: string[] } }>(`${userPath(orgId, userId)}/two-factor/recovery-codes/regenerate`, { method: 'POST' })).data.recoveryCodes;
}

export async function listPasskeys(orgId: string, userId: string): Promise<Passkey[]> {
  return (await api<{ data: Passkey[] }>(`${userPath(orgId, userId)}/passkeys`)).data;
}

export async function deletePasskey(orgId: string, userId: string, passkeyId: string): Promise<void> {
  await api<void>(`${userPath(orgId, userId)}/passkeys/${encodeURIComponent(passkeyId)}`, { method: 'DELETE' });
}

export async function listSessions(orgId: string, userId: string, page: number): Promise<{ data: TrackedSession[]; total: number; page: number; pageSize: number }> {
  return api(`/sessions`, { query: { userId, organizationId: orgId, activeOnly: true, page, pageSize: 20 } });
}

export async function revokeSession(sessionId: string): Promise<void> {
  await api<void>(`/sessions/${encodeURIComponent(sessionId)}`, { method: 'DELETE' });
}

export async function revokeAllSessions(userId: string): Promise<number> {
  return (await api<{ revoked: number }>(`/users/${encodeURIComponent(userId)}/sessions`, { method: 'DELETE' })).revoked;
}

export async function purgeUser(orgId: string, userId: string): Promise<PurgeResult> {
  return (await api<{ data: PurgeResult }>(`${userPath(orgId, userId)}/purge`, { method: 'POST', body: { confirmPurge: true } })).data;
}

export const exportPath = (orgId: string, userId: string) => `${userPath(orgId, userId)}/export`;
