import { z } from 'zod';

export const AUDIT_CATEGORIES = ['admin', 'authentication', 'security', 'gdpr', 'system'] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

/** What a use case says happened; who did it comes from its `Actor`. */
export interface AuditEvent {
  eventType: string;
  /** Default `admin`. */
  eventCategory?: AuditCategory;
  organizationId?: string | null;
  userId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  /** Never PII (spec 50 §6). */
  description?: string | null;
  metadata?: Record<string, unknown>;
}

/** One row to append. `actorId` null = no user acted (service account, CLI in direct mode, system). */
export interface AuditInput {
  eventType: string;
  eventCategory: AuditCategory;
  actorId?: string | null;
  actorType?: string | null;
  actorClientId?: string | null;
  actorName?: string | null;
  source?: string | null;
  requestId?: string | null;
  organizationId?: string | null;
  userId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  /** Never PII (spec 50 §6). */
  description?: string | null;
  metadata?: Record<string, unknown>;
  ipAddress?: string | null;
  userAgent?: string | null;
}

export interface AuditEntry {
  id: string;
  /** Insertion order: breaks ties between entries of the same instant. */
  seq: string;
  eventType: string;
  eventCategory: AuditCategory;
  actorId: string | null;
  actorType: string | null;
  actorClientId: string | null;
  actorName: string | null;
  source: string | null;
  requestId: string | null;
  organizationId: string | null;
  userId: string | null;
  targetType: string | null;
  targetId: string | null;
  description: string | null;
  metadata: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
}

const uuid = z.uuid();
const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date()).transform((v) => new Date(v));

/** Spec 20 §5.8 `GET /audit`. */
export const ListAuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  event: z.string().trim().min(1).max(100).optional(),
  category: z.enum(AUDIT_CATEGORIES).optional(),
  org: uuid.optional(),
  user: uuid.optional(),
  actor: uuid.optional(),
  actorClient: uuid.optional(),
  source: z.string().trim().min(1).max(30).optional(),
  targetType: z.string().trim().min(1).max(50).optional(),
  targetId: z.string().trim().min(1).max(255).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
  cursor: z.string().min(1).max(200).optional(),
});
export type ListAuditQuery = z.input<typeof ListAuditQuery>;

/** `…/history` routes (spec 20 §4 HistoryPage). */
export const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(200).optional(),
  event_type: z.string().trim().min(1).max(100).optional(),
});
export type HistoryQuery = z.input<typeof HistoryQuery>;

export const CleanupInput = z.strictObject({
  retentionDays: z.coerce.number().int().min(1).max(36500).optional(),
  dryRun: z.boolean().default(false),
});
export type CleanupInput = z.input<typeof CleanupInput>;

export interface HistoryPage {
  data: { id: string; eventType: string; actorId: string | null; metadata: Record<string, unknown>; createdAt: Date }[];
  hasMore: boolean;
  nextCursor: string | null;
}
