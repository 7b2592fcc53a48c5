import { z } from 'zod';

export const REGISTRATION_TOKEN_STATUSES = ['active', 'expired', 'used_up', 'revoked'] as const;
export type RegistrationTokenStatus = (typeof REGISTRATION_TOKEN_STATUSES)[number];

/** An initial access token as the Admin API shows it: never the token, never its hash. */
export interface RegistrationToken {
  id: string;
  organizationId: string;
  /** The application every client registered with this token joins. */
  applicationId: string;
  label: string | null;
  status: RegistrationTokenStatus;
  expiresAt: string;
  /** null = any number of registrations until it expires. */
  maxUses: number | null;
  useCount: number;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

/** The token as returned once, by the request that created it. */
export interface CreatedRegistrationToken extends RegistrationToken {
  token: string;
}

/** Default and longest lifetime of an initial access token. */
export const DEFAULT_TOKEN_TTL_SECONDS = 30 * 86_400;
export const MAX_TOKEN_TTL_SECONDS = 366 * 86_400;

export const CreateRegistrationTokenInput = z.strictObject({
  /** Id or slug of an active application. */
  applicationId: z.string().trim().min(1).max(255),
  /** Default: 30 days from now; at most a year. */
  expiresAt: z.union([z.iso.datetime({ offset: true }), z.date()]).transform((v) => new Date(v)).optional(),
  maxUses: z.number().int().min(1).max(1_000_000).nullable().optional(),
  label: z.string().trim().max(255).nullable().optional(),
});
export type CreateRegistrationTokenInput = z.input<typeof CreateRegistrationTokenInput>;

export const ListRegistrationTokensQuery = z.strictObject({
  applicationId: z.string().trim().max(255).optional(),
  status: z.enum(REGISTRATION_TOKEN_STATUSES).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListRegistrationTokensQuery = z.input<typeof ListRegistrationTokensQuery>;

export interface RegistrationTokenPage {
  data: RegistrationToken[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}
