import { api } from '../../api/client';

export type OrganizationStatus = 'active' | 'suspended' | 'archived';
export type LoginMethod = 'password' | 'magic_link' | 'passkey';
export type TwoFactorPolicy = 'optional' | 'required_email' | 'required_totp' | 'required_any' | 'required_passkey';

export interface Branding {
  logoUrl: string | null;
  faviconUrl: string | null;
  primaryColor: string | null;
  companyName: string | null;
  customCss: string | null;
}

export interface Organization {
  id: string;
  name: string;
  slug: string;
  status: OrganizationStatus;
  isSuperAdmin: boolean;
  defaultLocale: string;
  defaultLoginMethods: LoginMethod[];
  twoFactorPolicy: TwoFactorPolicy;
  dynamicRegistration: boolean;
  passkeyEnrolmentPrompt: boolean;
  branding: Branding;
  createdAt: string;
  updatedAt: string;
}

export interface BrandingAsset {
  id: string;
  assetType: 'logo' | 'favicon';
  contentType: string;
  fileSize: number;
  updatedAt: string;
}

export interface TwoFactorSummary {
  totalUsers: number;
  enabledCount: number;
  disabledCount: number;
  totpCount: number;
  emailCount: number;
  complianceRate: number;
}

export interface HistoryEntry {
  id: string;
  eventType: string;
  actorId: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface CascadeCounts {
  clients: number;
  users: number;
  roleAssignments: number;
  claimValues: number;
  brandingAssets: number;
  sessions: number;
}

export interface CursorPage<T> {
  data: T[];
  nextCursor: string | null;
  previousCursor?: string | null;
}

export const STATUS_LABELS: Record<OrganizationStatus, string> = { active: 'Active', suspended: 'Suspended', archived: 'Archived' };
export const LOGIN_METHOD_LABELS: Record<LoginMethod, string> = { password: 'Password', magic_link: 'Magic link (e-mail)', passkey: 'Passkey' };
export const TWO_FACTOR_LABELS: Record<TwoFactorPolicy, string> = {
  optional: 'Optional: users may turn it on',
  required_email: 'Required: e-mail code',
  required_totp: 'Required: authenticator app (TOTP)',
  required_any: 'Required: e-mail code or authenticator app',
  required_passkey: 'Required: passkey',
};
export const LOCALES = [
  { value: 'en', label: 'English (en)' },
  { value: 'de', label: 'German (de)' },
  { value: 'fr', label: 'French (fr)' },
  { value: 'es', label: 'Spanish (es)' },
  { value: 'nl', label: 'Dutch (nl)' },
  { value: 'pt', label: 'Portuguese (pt)' },
];

export const orgKeys = {
  all: ['organizations'] as const,
  one: (id: string) => ['organizations', id] as const,
  part: (id: string, part: string) => ['organizations', id, part] as const,
};

const orgPath = (idOrSlug: string, suffix = '') => `/organizations/${encodeURIComponent(idOrSlug)}${suffix}`;

export const PAGE_SIZE = 25;

export function listOrganizations(cursor: string | null, search: string, status: OrganizationStatus | null, sort: 'created_at' | 'name'): Promise<CursorPage<Organization>> {
  return api<CursorPage<Organization>>('/organizations', {
    query: {
      limit: PAGE_SIZE,
      cursor: cursor ?? undefined,
      search: search.trim() || undefined,
      status: status ?? undefined,
      sortBy: sort,
      sortOrder: sort === 'name' ? 'asc' : 'desc',
    },
  });
}

export async function getOrganization(idOrSlug: string): Promise<Organization> {
  return (await api<{ data: Organization }>(orgPath(idOrSlug))).data;
}

export async function validateSlug(slug: string): Promise<{ slug: string; isValid: boolean; reason?: string }> {
  return (await api<{ data: { slug: string; isValid: boolean; reason?: string } }>('/organizations/validate-slug', { query: { slug } })).data;
}

export interface CreateOrganizationInput {
  name: string;
  slug?: string;
  defaultLocale: string;
  defaultLoginMethods: LoginMethod[];
  twoFactorPolicy: TwoFactorPolicy;
}

export async function createOrganization(input: CreateOrganizationInput): Promise<Organization> {
  return (await api<{ data: Organization }>('/organizations', { method: 'POST', body: input })).data;
}

export type OrganizationPatch = Partial<Pick<Organization, 'name' | 'defaultLocale' | 'defaultLoginMethods' | 'dynamicRegistration' | 'passkeyEnrolmentPrompt'>>;

export async function updateOrganization(id: string, patch: OrganizationPatch): Promise<Organization> {
  return (await api<{ data: Organization }>(orgPath(id), { method: 'PUT', body: patch })).data;
}

export async function updateBranding(id: string, branding: Partial<Branding>): Promise<Organization> {
  return (await api<{ data: Organization }>(orgPath(id, '/branding'), { method: 'PUT', body: branding })).data;
}

export async function listBrandingAssets(id: string): Promise<BrandingAsset[]> {
  return (await api<{ data: BrandingAsset[] }>(orgPath(id, '/branding'))).data;
}

/** The file itself as the body (raw form, up to 512 KB); the API checks its type against its bytes. */
export async function uploadBrandingAsset(id: string, type: 'logo' | 'favicon', file: File): Promise<BrandingAsset> {
  return (await api<{ data: BrandingAsset }>(orgPath(id, `/branding/${type}`), { method: 'PUT', body: file })).data;
}

export async function deleteBrandingAsset(id: string, type: 'logo' | 'favicon'): Promise<void> {
  await api<void>(orgPath(id, `/branding/${type}`), { method: 'DELETE' });
}

export async function setTwoFactorPolicy(id: string, twoFactorPolicy: TwoFactorPolicy): Promise<void> {
  await api<unknown>(orgPath(id, '/two-factor/policy'), { method: 'PUT', body: { twoFactorPolicy } });
}

export async function getTwoFactorSummary(id: string): Promise<TwoFactorSummary> {
  return (await api<{ data: TwoFactorSummary }>(orgPath(id, '/two-factor/summary'))).data;
}

export type Transition = 'suspend' | 'activate' | 'archive' | 'restore';

export async function transition(id: string, action: Transition, reason?: string): Promise<void> {
  const body = action === 'suspend' ? (reason ? { reason } : {}) : undefined;
  await api<void>(orgPath(id, `/${action}`), { method: 'POST', body });
}

export async function destroyOrganization(id: string, dryRun: boolean): Promise<{ organization: Organization; cascadeCounts: CascadeCounts }> {
  return (await api<{ data: { organization: Organization; cascadeCounts: CascadeCounts } }>(orgPath(id), { method: 'DELETE', query: { 'dry-run': dryRun } })).data;
}

export function getHistory(id: string, after: string | null): Promise<{ data: HistoryEntry[]; hasMore: boolean; nextCursor: string | null }> {
  return api(orgPath(id, '/history'), { query: { limit: 20, after: after ?? undefined } });
}

export const formatDate = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
