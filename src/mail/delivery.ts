import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Db } from '../platform/db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import type { AuditService } from '../audit/index.js';
import type { BrandingService } from '../branding/index.js';
import type { OrganizationService } from '../organizations/index.js';
import { systemActor } from '../actors/index.js';
import type { Pages } from '../pages/index.js';
import { createMailRepo } from './repo.js';
import { DEFAULT_DELIVERY_POLICY, retryDelayMs, type DeliveryPolicy, type OutboxRow } from './schema.js';
import { createMailComposer, type MailComposer } from './compose.js';
import {
  checkSmtp, createFileTransport, createSmtpTransport, describeSmtpError, isPermanentSmtpFailure, smtpResponseCode, type MailTransport, type SmtpCheck,
} from './transport.js';

const PURGE_INTERVAL_MS = 3_600_000;

/**
 * The delivery worker: claims due outbox rows (`FOR UPDATE SKIP LOCKED`, so one process of many sends
 * each row), renders, sends, and marks the row sent, or schedules its retry with exponential backoff,
 * or marks it failed: after the last attempt, or at once when retrying cannot help (a rendering problem,
 * a 5yz SMTP reply to the recipient or the content). Only the server runs it; the CLI's direct mode enqueues.
 */
export interface MailDelivery {
  /** `smtp`, `files` (development without SMTP_HOST: PORTA_DATA_DIR/mail) or `none` (production without SMTP: rows wait). */
  readonly transportKind: 'smtp' | 'files' | 'none';
  /** The development outbox folder. */
  readonly outboxDir: string;
  /** Starts the timer (the server only). */
  start(): void;
  /** Looks for due rows now (after a commit that enqueued one); no-op unless started. */
  nudge(): void;
  /** One pass over the due rows; resolves with how many were handled (tests, and the timer). */
  runOnce(): Promise<number>;
  /** Whether the SMTP server answers (a connection check with a short timeout); undefined without SMTP. */
  checkSmtp(timeoutMs?: number): Promise<SmtpCheck | undefined>;
  /** Renders with the server's templates and messages (a mounted set, per-organization overrides, the configured default language). */
  usePages(pages: Pick<Pages, 'templates' | 'i18n'>): void;
  /** Stops the timer and waits for the pass under way. */
  stop(): Promise<void>;
}

export interface MailDeliveryDeps {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  log: Log;
  audit: AuditService;
  organizations: OrganizationService;
  branding: BrandingService;
  isSchemaCurrent: () => boolean;
  policy?: Partial<DeliveryPolicy>;
  /** Instead of SMTP or files (tests). */
  transport?: MailTransport;
  /** Renders the rows; one of its own (without the configured default locale) when absent. */
  composer?: MailComposer;
}

export function createMailDelivery(deps: MailDeliveryDeps): MailDelivery {
  const { config, db, clock, log } = deps;
  const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, ...deps.policy };
  const repo = createMailRepo(db);
  const outboxDir = path.join(config.dataDir, 'mail');
  const transport: MailTransport | undefined =
    deps.transport ?? (config.smtp.host !== undefined ? createSmtpTransport(config.smtp) : config.env !== 'production' ? createFileTransport(outboxDir, log) : undefined);
  const composer = deps.composer ?? createMailComposer({ config, log, organizations: deps.organizations, branding: deps.branding });

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let isAgain = false;
  let isStopped = false;

  async function record(row: OutboxRow, eventType: 'email.sent' | 'email.send.failed', extra: Record<string, unknown> = {}): Promise<void> {
    try {
      await deps.audit.record(systemActor('system', 'mail'), {
        eventType, eventCategory: 'system', organizationId: row.organizationId, targetType: 'email', targetId: row.id,
        metadata: { template: row.template, attempts: row.attempts, ...extra },
      });
    } catch (err) {
      log.warn({ err, outboxId: row.id }, 'mail.audit_failed');
    }
  }

  /** `isPermanent`: failed before the last attempt, because another one could not succeed. */
  async function fail(row: OutboxRow, error: string, isPermanent: boolean, responseCode?: number): Promise<void> {
    await repo.markFailed(row.id, error);
    const facts = { permanent: isPermanent, ...(responseCode === undefined ? {} : { responseCode }) };
    log.error({ outboxId: row.id, template: row.template, attempts: row.attempts, ...facts, error }, 'mail.send_failed');
    await record(row, 'email.send.failed', facts);
  }

  async function deliver(row: OutboxRow, via: MailTransport): Promise<void> {
    let mail;
    try {
      const composed = await composer.compose(row);
      if (!composed) return await fail(row, 'organization not found', true);
      const { subject, html, text, links } = composed;
      mail = { outboxId: row.id, template: row.template, from: config.smtp.from, to: row.recipient, subject, html, text, links };
    } catch (err) {
      // A template or data problem does not heal by waiting.
      return fail(row, `render: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300), true);
    }
    try {
      await via.send(mail);
    } catch (err) {
      const error = describeSmtpError(err, config.smtp);
      if (isPermanentSmtpFailure(err)) return fail(row, error, true, smtpResponseCode(err));
      if (row.attempts >= policy.maxAttempts) return fail(row, error, false, smtpResponseCode(err));
      const delay = retryDelayMs(policy, row.attempts);
      await repo.scheduleRetry(row.id, new Date(clock.now() + delay), error);
      log.warn({ outboxId: row.id, template: row.template, attempts: row.attempts, retryInMs: delay, error }, 'mail.send_retry');
      return;
    }
    await repo.markSent(row.id, new Date(clock.now()));
    log.info({ outboxId: row.id, template: row.template, attempts: row.attempts }, 'mail.sent');
    await record(row, 'email.sent');
  }

  let lastPurgeAt = 0;
  async function purgeIfDue(now: number): Promise<void> {
    if (now - lastPurgeAt < PURGE_INTERVAL_MS) return;
    lastPurgeAt = now;
    const removed = await repo.purgeFinished(new Date(now - policy.retentionMs));
    if (removed > 0) log.info({ removed }, 'mail.outbox_purged');
  }

  async function pass(): Promise<number> {
    if (!transport || !deps.isSchemaCurrent()) return 0;
    await purgeIfDue(clock.now());
    let handled = 0;
    for (;;) {
      const now = clock.now();
      const rows = await repo.claimDue(new Date(now), new Date(now + policy.leaseMs), policy.batchSize);
      for (const row of rows) {
        try {
          await deliver(row, transport);
        } catch (err) {
          // The lease brings the row back after leaseMs.
          log.error({ err, outboxId: row.id, template: row.template }, 'mail.delivery_error');
        }
        handled++;
      }
      if (rows.length < policy.batchSize || isStopped) return handled;
    }
  }

  const runOnce = (): Promise<number> => {
    if (running) {
      isAgain = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          isAgain = false;
          total += await pass();
        } while (isAgain && !isStopped);
      } catch (err) {
        log.warn({ err }, 'mail.pass_failed');
      } finally {
        running = undefined;
      }
      return total;
    })();
    return running;
  };

  return {
    transportKind: transport?.kind ?? 'none',
    outboxDir,
    start() {
      if (timer || isStopped) return;
      if (!transport) {
        log.warn('mail.no_transport: SMTP_HOST is not set; e-mails wait in the outbox until it is');
        return;
      }
      timer = setInterval(() => void runOnce(), policy.pollIntervalMs);
      timer.unref();
      void runOnce();
    },
    nudge() {
      if (timer && !isStopped) void runOnce();
    },
    runOnce,
    usePages(pages) {
      composer.usePages(pages);
    },
    async checkSmtp(timeoutMs) {
      if (config.smtp.host === undefined || deps.transport) return undefined;
      return checkSmtp(config.smtp, timeoutMs);
    },
    async stop() {
      isStopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
      transport?.close();
    },
  };
}
