import { afterCommit, type Db } from '../platform/db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import type { MailComposer } from './compose.js';
import type { RenderedParts } from './render.js';
import { createMailRepo } from './repo.js';
import { MAIL_TEMPLATES, type MailMessage } from './schema.js';

/**
 * What use cases call to send an e-mail (spec 60 §8). `enqueue` writes one outbox row in the caller's
 * transaction, so a rolled-back use case sends nothing; delivery starts after commit, off the request
 * path, and an SMTP problem never reaches the caller.
 */
export interface MailService {
  enqueue(message: MailMessage): Promise<void>;
  /**
   * The subject, HTML and text `message` would be sent with, rendered now exactly as delivery renders
   * it (branding, language, templates), without storing or sending anything: previews.
   */
  render(message: Omit<MailMessage, 'to'>): Promise<RenderedParts>;
}

export interface MailServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  /** Called once the row is committed: the local worker, when this process runs one, looks at once. */
  onCommitted?: () => void;
  /** What delivery renders with (built after this service: it needs the organizations). */
  composer: () => MailComposer;
}

const TEMPLATES = new Set<string>(MAIL_TEMPLATES);

export function createMailService(deps: MailServiceDeps): MailService {
  const repo = createMailRepo(deps.db);
  return {
    async enqueue(message) {
      // A wrong template or an empty address is a bug in the caller, not an SMTP problem.
      if (!TEMPLATES.has(message.template)) throw new Error(`unknown mail template ${String(message.template)}`);
      if (typeof message.to !== 'string' || message.to.trim() === '') throw new Error('mail recipient missing');
      const id = await repo.insert({ ...message, to: message.to.trim() }, new Date(deps.clock.now()));
      deps.log.debug({ outboxId: id, template: message.template, organizationId: message.organizationId }, 'mail.enqueued');
      await afterCommit(() => deps.onCommitted?.());
    },

    async render(message) {
      if (!TEMPLATES.has(message.template)) throw new Error(`unknown mail template ${String(message.template)}`);
      const composed = await deps.composer().compose(message);
      if (!composed) throw new Error(`organization ${message.organizationId} not found`);
      return { subject: composed.subject, html: composed.html, text: composed.text };
    },
  };
}
