import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CliError, EXIT } from '../context.js';

/** Spec 30 §2: what `porta login` stores. */
export const Credentials = z.object({
  server: z.string(),
  orgSlug: z.string(),
  clientId: z.string(),
  accessToken: z.string(),
  refreshToken: z.string().nullable(),
  idToken: z.string().nullable(),
  /** ISO date-time at which the access token expires. */
  expiresAt: z.string(),
  user: z.object({ sub: z.string(), email: z.string().nullable(), name: z.string().nullable() }),
});
export type Credentials = z.infer<typeof Credentials>;

/** `PORTA_CREDENTIALS_FILE`, else `~/.porta/credentials.json` (HOME honoured). */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTA_CREDENTIALS_FILE) return path.resolve(env.PORTA_CREDENTIALS_FILE);
  return path.join(env.HOME || os.homedir(), '.porta', 'credentials.json');
}

export function hasCredentials(file = credentialsPath()): boolean {
  return fs.existsSync(file);
}

export function readCredentials(file = credentialsPath()): Credentials | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`Cannot read ${file}: ${(err as Error).message}`, EXIT.runtime);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = Credentials.safeParse(parsed);
  if (!result.success) throw new CliError(`${file} is not a Porta credentials file: run \`porta login\` again.`, EXIT.auth);
  return result.data;
}

/**
 * Writes the file with mode 0600 in a directory of mode 0700 (the tokens are bearer secrets).
 * A temporary file and a rename keep a half-written file from ever being read.
 */
export function writeCredentials(credentials: Credentials, file = credentialsPath()): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if (path.basename(dir) === '.porta') fs.chmodSync(dir, 0o700);
  const temp = path.join(dir, `.credentials-${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fs.chmodSync(file, 0o600);
}

export function deleteCredentials(file = credentialsPath()): boolean {
  if (!fs.existsSync(file)) return false;
  fs.rmSync(file);
  return true;
}

/** Permission bits of the file, e.g. 0o600; null when it does not exist. */
export function credentialsMode(file = credentialsPath()): number | null {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return null;
  }
}
