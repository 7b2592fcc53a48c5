import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../config/index.js';
import type { Log } from '../platform/log.js';

/** One message as it leaves Porta. */
export interface OutgoingMail {
  outboxId: string;
  template: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** The absolute links it carries (the development outbox logs them; SMTP delivery never does). */
  links: string[];
}

export interface MailTransport {
  readonly kind: 'smtp' | 'files';
  /** Where messages go, for the start-up line: `host:port` or the outbox folder (no credentials). */
  readonly target: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

const SEND_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

function smtpOptions(smtp: SmtpConfig, timeouts: { connectionTimeout: number; greetingTimeout: number; socketTimeout: number }) {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.requireStartTls,
    auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : undefined,
    tls: { rejectUnauthorized: smtp.tlsRejectUnauthorized },
    ...timeouts,
  };
}

/** SMTP_* (spec 50 §1): implicit TLS with SMTP_SECURE, else STARTTLS when offered or, with SMTP_STARTTLS=required, always. */
export function createSmtpTransport(smtp: SmtpConfig): MailTransport {
  const transporter = nodemailer.createTransport(smtpOptions(smtp, SEND_TIMEOUTS));
  return {
    kind: 'smtp',
    target: `${smtp.host ?? ''}:${smtp.port}`,
    async send(mail) {
      await transporter.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, html: mail.html, text: mail.text });
    },
    close: () => transporter.close(),
  };
}

export type SmtpCheck = { isReachable: true; target: string } | { isReachable: false; target: string; error: string };

/** Connects (TLS and login included) within `timeoutMs`; for the start-up line and `porta doctor`. */
export async function checkSmtp(smtp: SmtpConfig, timeoutMs = 5_000): Promise<SmtpCheck> {
  const target = `${smtp.host ?? ''}:${smtp.port}`;
  const transporter = nodemailer.createTransport(smtpOptions(smtp, { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs }));
  try {
    await transporter.verify();
    return { isReachable: true, target };
  } catch (err) {
    return { isReachable: false, target, error: describeSmtpError(err, smtp) };
  } finally {
    transporter.close();
  }
}

/** The SMTP reply code of a failed send, when the server answered one. */
export function smtpResponseCode(err: unknown): number | undefined {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

/** The commands whose answer is about this message: its recipient (RCPT TO) or its content (DATA). */
const MESSAGE_COMMANDS = new Set(['RCPT TO', 'DATA']);

/**
 * RFC 5321 §4.2.1: a 5yz reply is a permanent failure, and sending the same message again cannot
 * succeed (550 mailbox unavailable, 553 mailbox name not allowed, 554 rejected). Only replies to this
 * message's recipient or content count: a 5yz to AUTH, MAIL FROM or the greeting says the relay refuses
 * Porta itself (credentials, SMTP_FROM), which an operator fixes, so those keep the retries, like 4yz
 * replies and connection errors.
 */
export function isPermanentSmtpFailure(err: unknown): boolean {
  const code = smtpResponseCode(err);
  const command = (err as { command?: unknown } | null)?.command;
  return code !== undefined && code >= 500 && code < 600 && typeof command === 'string' && MESSAGE_COMMANDS.has(command);
}

/** The transport's answer, short, without the password (a server may echo what it was sent). */
export function describeSmtpError(err: unknown, smtp?: Pick<SmtpConfig, 'pass' | 'user'>): string {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [typeof e.code === 'string' ? e.code : undefined, typeof e.responseCode === 'number' ? String(e.responseCode) : undefined];
  let message = typeof e.message === 'string' ? e.message : String(err);
  if (smtp?.pass) message = message.split(smtp.pass).join('***');
  return [...parts.filter(Boolean), message.replace(/\s+/g, ' ').slice(0, 300)].join(' ');
}

/**
 * Development without SMTP: each message becomes `<time>-<outbox id>.eml` (the complete MIME message)
 * and `.json` (what /_dev/mail lists) under PORTA_DATA_DIR/mail, and its links are logged.
 */
export function createFileTransport(dir: string, log: Log): MailTransport {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'files',
    target: dir,
    async send(mail) {
      const info = await builder.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, html: mail.html, text: mail.text });
      await fs.mkdir(dir, { recursive: true });
      const createdAt = new Date().toISOString();
      const base = `${createdAt.replace(/[:.]/g, '-')}-${mail.outboxId}`;
      await fs.writeFile(path.join(dir, `${base}.eml`), info.message as Buffer);
      const entry: DevMailEntry = { id: mail.outboxId, template: mail.template, from: mail.from, to: mail.to, subject: mail.subject, createdAt, links: mail.links, text: mail.text, html: mail.html };
      await fs.writeFile(path.join(dir, `${base}.json`), `${JSON.stringify(entry, null, 2)}\n`);
      log.info({ outboxId: mail.outboxId, template: mail.template, file: `${base}.eml`, links: mail.links }, 'mail.dev_outbox');
    },
    close: () => builder.close(),
  };
}

/** One message of the development outbox. */
export interface DevMailEntry {
  id: string;
  template: string;
  from: string;
  to: string;
  subject: string;
  createdAt: string;
  links: string[];
  text: string;
  html: string;
}

/** The development outbox, newest first (at most `limit`). */
export async function readDevOutbox(dir: string, limit = 100): Promise<DevMailEntry[]> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort().reverse().slice(0, limit);
  } catch {
    return [];
  }
  const entries = await Promise.all(
    files.map(async (f) => {
      try {
        return JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as DevMailEntry;
      } catch {
        return null;
      }
    }),
  );
  return entries.filter((e): e is DevMailEntry => e !== null);
}
