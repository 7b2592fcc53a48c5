/**
 * An SMTP server in the test process (smtp-server) on 127.0.0.1, collecting every message parsed with
 * mailparser. It can refuse mail on RCPT TO (a temporary 451, or any reply code: 550 for a mailbox that
 * does not exist), stop and start again on the same port (an outage), and require a login.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  html: string | false;
  text: string;
  parsed: ParsedMail;
  /** The login the client used, when it logged in. */
  user: string | undefined;
}

export interface SmtpHarness {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /**
   * RCPT TO answers 451 while `true` (the sender must retry later), or the given reply code (550
   * mailbox unavailable, 553 mailbox name not allowed: permanent); `false` accepts mail again.
   */
  refuse(refusal: boolean | number): void;
  /** Waits for a message to `address` (case-insensitive) that `match` accepts. */
  waitForMessage(address: string, options?: { timeoutMs?: number; match?: (m: ReceivedMail) => boolean }): Promise<ReceivedMail>;
  messagesTo(address: string): ReceivedMail[];
  /** Stops listening (connections are refused) until `start`. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** SMTP_* variables pointing at this server. */
  env(): Record<string, string>;
}

const REFUSALS: Readonly<Record<number, string>> = {
  451: 'Try again later',
  550: 'Mailbox unavailable',
  553: 'Mailbox name not allowed',
};

export async function startSmtpHarness(options: { auth?: { user: string; pass: string } } = {}): Promise<SmtpHarness> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let refusal: number | null = null;
  let port = 0;
  let server: SMTPServer | undefined;

  const config: SMTPServerOptions = {
    secure: false,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    logger: false,
    onAuth(auth, _session, cb) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return cb(null, { user: auth.username });
      return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, cb) {
      if (refusal !== null) return cb(Object.assign(new Error(REFUSALS[refusal] ?? 'Refused'), { responseCode: refusal }));
      return cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: parsed.subject ?? '',
            html: parsed.html ?? false,
            text: parsed.text ?? '',
            parsed,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          for (const w of waiters) w();
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = new SMTPServer(config);
      server.on('error', () => undefined);
      const s = server.server;
      s.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        resolve();
      });
    });
  const close = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

  await listen();
  const messagesTo = (address: string) => messages.filter((m) => m.to.includes(address.toLowerCase()));
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    messages,
    refuse(value) {
      refusal = value === true ? 451 : value === false ? null : value;
    },
    messagesTo,
    waitForMessage(address, opts = {}) {
      const match = opts.match ?? (() => true);
      const find = () => messagesTo(address).find(match);
      const found = find();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no message to ${address} within ${opts.timeoutMs ?? 10_000} ms (${messages.length} received in all)`));
        }, opts.timeoutMs ?? 10_000);
        const check = () => {
          const m = find();
          if (!m) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(m);
        };
        waiters.add(check);
      });
    },
    stop: close,
    start: listen,
    close,
    env() {
      return {
        SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_FROM: 'porta@test.example',
        ...(options.auth ? { SMTP_USER: options.auth.user, SMTP_PASS: options.auth.pass } : {}),
      };
    },
  };
}
