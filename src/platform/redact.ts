/** Keys whose values never reach a log line, at any depth (spec 50 §6; compared case-insensitively). */
export const REDACTED_KEYS = new Set([
  'password', 'token', 'authorization', 'cookie', 'refresh_token', 'client_secret',
  'access_token', 'id_token', 'code_verifier', 'secret', 'plaintext', 'set-cookie',
  'otp', 'recovery_code', 'encrypted_secret', 'private_key',
  'refreshtoken', 'accesstoken', 'idtoken', 'clientsecret', 'codeverifier', 'privatekey', 'recoverycode', 'encryptedsecret',
]);

export const REDACTED = '[Redacted]';
const MAX_DEPTH = 12;

/**
 * `code` is both an OAuth authorization code (secret) and an error code (PostgreSQL `23505`, Node
 * `ECONNREFUSED`, Porta's `user_not_found`), which operators need. Error-code shapes are kept; anything
 * else under `code` — an authorization code is 43 characters of mixed-case base64url — is redacted.
 */
const ERROR_CODE = /^(?:[A-Z0-9_]{1,40}|[a-z][a-z0-9_.]{0,60})$/;
const isErrorCode = (value: unknown) => typeof value === 'number' || (typeof value === 'string' && ERROR_CODE.test(value));

/** Credentials in query strings and form bodies (`?code=…&state=…`) inside any logged string. */
const SECRET_PARAM = /([?&#;\s]|^)(code|access_token|id_token|refresh_token|client_secret|code_verifier|token|password)=([^&#\s"']*)/gi;
const HAS_PARAM = /(?:code|token|secret|verifier|password)=/i;

function redactString(value: string): string {
  return HAS_PARAM.test(value) ? value.replace(SECRET_PARAM, (_m, lead: string, name: string) => `${lead}${name}=${REDACTED}`) : value;
}

function redactEntry(key: string, value: unknown, depth: number, seen: WeakSet<object>): unknown {
  const lower = key.toLowerCase();
  if (REDACTED_KEYS.has(lower)) return REDACTED;
  if (lower === 'code') return isErrorCode(value) ? value : REDACTED;
  return redactDeep(value, depth + 1, seen);
}

/** A copy of `value` with sensitive keys replaced; Errors become plain objects that keep type, message and stack. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
    if (value instanceof Error) return redactError(value, depth, seen);
    if (value instanceof Date || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
    if (value instanceof Map) return redactDeep(Object.fromEntries(value), depth, seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactEntry(k, v, depth, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function redactError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: redactString(err.message), stack: err.stack && redactString(err.stack) };
  for (const [k, v] of Object.entries(err)) out[k] = redactEntry(k, v, depth, seen);
  if (err.cause !== undefined) out.cause = redactDeep(err.cause, depth + 1, seen);
  return out;
}
