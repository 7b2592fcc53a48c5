import { z } from 'zod';

/** Spec 20 §4 TrackedSession. */
export interface TrackedSession {
  sessionId: string;
  userId: string;
  clientId: string | null;
  organizationId: string;
  grantId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
  expiresAt: Date;
  lastActivityAt: Date;
  revokedAt: Date | null;
}

/** What the engine's `session.saved` tells the mirror (spec 10 §10). */
export interface SessionSnapshot {
  sessionId: string;
  userId: string;
  organizationId: string;
  /** Internal UUID of the client most recently authorised, if known. */
  clientId: string | null;
  grantId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  expiresAt: Date;
}

const booleanText = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** Seed 002 list parameters. */
export const ListSessionsQuery = z.strictObject({
  userId: z.uuid().optional(),
  organizationId: z.uuid().optional(),
  clientId: z.uuid().optional(),
  activeOnly: booleanText.default(true),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListSessionsQuery = z.input<typeof ListSessionsQuery>;

export interface SessionPage {
  data: TrackedSession[];
  total: number;
  page: number;
  pageSize: number;
}
