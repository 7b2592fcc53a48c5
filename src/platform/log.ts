import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import { redactDeep } from './redact.js';
import type { RuntimeEnv } from '../config/index.js';

export type Log = Logger;

/** The one `http.request` line per answered request (http/request-context.ts, and the replay of public documents). */
export interface RequestLine {
  requestId: string;
  method: string;
  /** Without the query. */
  path: string;
  status: number;
  durationMs: number;
  org?: string;
}

export interface LogOptions {
  env: RuntimeEnv;
  level: string;
  /** Where lines go; defaults to stdout (pretty in development). Tests pass a capture stream. */
  destination?: DestinationStream;
}

/** JSON in production, pretty in development, silent in test unless a destination is given. */
export function createLog(options: LogOptions): Log {
  const level = options.env === 'test' && !options.destination ? 'silent' : options.level;
  const base = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Redaction runs on every line, at any depth; pino's path-based redact cannot cover unknown depths.
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (obj: Record<string, unknown>) => redactDeep(obj) as Record<string, unknown>,
    },
    serializers: { err: (e: unknown) => e, error: (e: unknown) => e },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.env === 'development') {
    return pino(base, pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  }
  return pino(base, pino.destination({ sync: false }));
}
