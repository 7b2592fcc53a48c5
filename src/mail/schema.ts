/**
 * Spec 60 §8: the e-mails Porta sends, as the outbox names them; each is `templates/default/emails/{name}.hbs`
 * and `{name}.txt.hbs` with dashes (`magic_link` → `magic-link.hbs`) and has the subject `emails.{template}.subject`.
 */
export const MAIL_TEMPLATES = ['magic_link', 'password_reset', 'password_changed', 'invitation', 'welcome', 'email_verification', 'otp_code', 'two_factor_changed', 'email_change', 'email_change_notice'] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/** What a use case asks to send; `data` is what the template shows (links, names, a personal message…). */
export interface MailMessage {
  organizationId: string;
  to: string;
  template: MailTemplate;
  /** NULL/absent: the organization's default locale when the message is rendered. */
  locale?: string | null;
  data: Record<string, unknown>;
}

export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface OutboxRow {
  id: string;
  organizationId: string;
  recipient: string;
  template: MailTemplate;
  locale: string | null;
  data: Record<string, unknown>;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** A rendered message, ready for a transport. */
export interface RenderedMail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Retries of the delivery worker: `baseDelayMs` doubling up to `maxDelayMs`, `maxAttempts` in all. */
export interface DeliveryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  /** How often the worker looks for due rows besides the nudges after a commit. */
  pollIntervalMs: number;
  /** A claimed row is not claimed again before this (a process dying mid-send retries it then). */
  leaseMs: number;
  batchSize: number;
  /** Sent and failed rows are deleted this long after they were queued. */
  retentionMs: number;
}

/** 30 s doubling, capped at one hour: 30 attempts span about 24 hours. */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 30,
  pollIntervalMs: 5_000,
  leaseMs: 300_000,
  batchSize: 10,
  retentionMs: 30 * 86_400_000,
};

/** The delay before attempt `attempts + 1`, after `attempts` failed ones. */
export function retryDelayMs(policy: DeliveryPolicy, attempts: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
}
