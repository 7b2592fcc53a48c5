import type { Context, Next } from 'koa';
import { AppError } from '../../platform/errors.js';

/** Codes spec 20 §1 names for 400s; any other `invalid` domain code becomes `validation_failed`. */
const INVALID_CODES = new Set(['validation_failed', 'invalid_request', 'invalid_cursor', 'confirmation_required']);

/** Domain codes renamed to the admin API's vocabulary (spec 20 §1). */
const RENAMED: Record<string, string> = {
  super_admin_protected: 'protected_resource',
  admin_application_protected: 'protected_resource',
  config_readonly: 'protected_resource',
  user_email_taken: 'email_taken',
  client_revoked: 'invalid_transition',
  last_active_key: 'in_use',
};

/**
 * Domain errors keep specific codes (`organization_slug_taken`, `user_not_found`…); the admin API
 * answers with spec 20's stable set. The domain code is kept in `details.reason` where it adds meaning.
 */
export function translateAdminError(err: AppError): AppError {
  const { kind, code } = err;
  if (kind === 'not_found' && code !== 'not_found') return new AppError(kind, 'not_found', err.message, err.details);
  if (code.endsWith('_slug_taken')) return new AppError(kind, 'slug_taken', err.message, err.details);
  const renamed = RENAMED[code];
  if (renamed) return new AppError(kind, renamed, err.message, err.details);
  if (kind === 'invalid' && !INVALID_CODES.has(code)) {
    return new AppError(kind, 'validation_failed', err.message, [{ path: pathOf(err.details), message: err.message, reason: code }]);
  }
  return err;
}

/** The offending field: `details.path` where the domain names it, else the single detail's key. */
function pathOf(details: unknown): string {
  if (typeof details !== 'object' || details === null) return '';
  const named = (details as { path?: unknown }).path;
  if (typeof named === 'string') return named;
  const keys = Object.keys(details);
  return keys.length === 1 && keys[0] !== undefined ? keys[0] : '';
}

export async function adminErrors(_ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    throw err instanceof AppError ? translateAdminError(err) : err;
  }
}
