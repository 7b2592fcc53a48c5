export type ErrorKind =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'rate_limited'
  | 'precondition_failed'
  | 'unprocessable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable';

/** Domain errors: a `kind` the edges map to a status, and a stable snake_case `code`. Knows nothing of HTTP. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
