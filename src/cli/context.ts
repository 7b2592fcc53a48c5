import { AppError } from '../platform/errors.js';

/** Spec 30 §1 exit codes. */
export const EXIT = { ok: 0, runtime: 1, usage: 2, auth: 3, permission: 4, notFound: 5, conflict: 6 } as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.runtime, readonly body?: unknown) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  force?: boolean;
  server?: string;
  insecure?: boolean;
  direct?: boolean;
  databaseUrl?: string;
  redisUrl?: string;
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof AppError) {
    switch (err.kind) {
      case 'unauthorized':
        return EXIT.auth;
      case 'forbidden':
        return EXIT.permission;
      case 'not_found':
        return EXIT.notFound;
      case 'conflict':
        return EXIT.conflict;
      case 'invalid':
      case 'unprocessable':
        return EXIT.usage;
      default:
        return EXIT.runtime;
    }
  }
  return EXIT.runtime;
}
