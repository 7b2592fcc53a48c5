import { AppError } from '../errors.js';

/** The store cannot serve requests: Redis is unreachable, or this Kv was closed. Edges answer 503. */
export class KvUnavailableError extends AppError {
  constructor(code: 'kv_unavailable' | 'kv_closed', message: string, cause?: unknown) {
    super('unavailable', code, message);
    this.name = 'KvUnavailableError';
    if (cause !== undefined) this.cause = cause;
  }
}

/** A caller bug: the key holds another type (Redis WRONGTYPE) or a counter that is not an integer. */
export class KvTypeError extends Error {
  constructor(
    readonly code: 'kv_wrong_type' | 'kv_not_integer',
    message: string,
  ) {
    super(message);
    this.name = 'KvTypeError';
  }
}

/** Both backends round the same way, so a TTL means the same on either: whole ms, at least 1. */
export function ttlToMs(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
  }
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}

export const kvClosedError = () => new KvUnavailableError('kv_closed', 'The key-value store is closed');
