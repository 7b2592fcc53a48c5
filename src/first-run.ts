import { randomInt } from 'node:crypto';
import type { Porta } from './app.js';
import { AppError } from './platform/errors.js';

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const WARN_EVERY_MS = 60_000;

export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

/**
 * Spec 00 "First run". Outside production an uninitialised database is bootstrapped as `porta init`
 * would, with `PORTA_BOOTSTRAP_ADMIN_EMAIL` / `_PASSWORD` (default: 20 random characters), and the login
 * details are printed once on stdout — never logged. In production Porta warns every minute until
 * someone runs `porta init`. Returns a stop function for the warning timer.
 */
export async function firstRun(porta: Porta, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<() => void> {
  const { config, log, services } = porta;
  if (!porta.schema.isCurrent() || (await services.bootstrap.isInitialized())) return () => undefined;
  if (config.env === 'production') {
    const warn = () => log.warn('system.not_initialized: no admin exists yet; run `porta init` (GET /api/admin/metadata answers 503)');
    warn();
    const timer = setInterval(() => {
      void services.bootstrap.isInitialized().then((done) => (done ? clearInterval(timer) : warn()), () => undefined);
    }, WARN_EVERY_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
  const password = config.bootstrapAdmin.password ?? generatePassword();
  try {
    const result = await services.bootstrap.initialize({ email: config.bootstrapAdmin.email, password, givenName: 'Porta', familyName: 'Admin' });
    write(
      [
        '',
        'Porta bootstrapped a first admin (shown once; change the password after signing in):',
        `  admin login:    ${config.issuerBaseUrl}/admin  (CLI: porta login --server ${config.issuerBaseUrl})`,
        `  e-mail:         ${result.user.email}`,
        `  password:       ${config.bootstrapAdmin.password ? '(PORTA_BOOTSTRAP_ADMIN_PASSWORD)' : password}`,
        `  CLI client id:  ${result.clientId}`,
        '',
      ].join('\n') + '\n',
    );
  } catch (err) {
    // Another process bootstrapped the same database first.
    if (!(err instanceof AppError && err.code === 'already_initialized')) throw err;
  }
  return () => undefined;
}
