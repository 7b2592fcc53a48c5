/** Keys whose values never reach a log line, at any depth (spec 50 §6; compared case-insensitively). */
export const REDACTED_KEYS = new Set([
  'password', 'token', 'authorization', 'cookie', 'refresh_token', 'client_secret',
  'access_token', 'id_token', 'code', 'code_verifier', 'secret', 'plaintext', 'set-cookie',
  'otp', 'recovery_code', 'encrypted_secret', 'private_key',
  'refreshtoken', 'accesstoken', 'idtoken', 'clientsecret', 'codeverifier', 'privatekey', 'recoverycode', 'encryptedsecret',
]);

export const REDACTED = '[Redacted]';
const MAX_DEPTH = 12;

/** A copy of `value` with sensitive keys replaced; Errors become plain objects that keep type, message and stack. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
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
    for (const [k, v] of Object.entries(value)) {
      out[k] = REDACTED_KEYS.has(k.toLowerCase()) ? REDACTED : redactDeep(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function redactError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  for (const [k, v] of Object.entries(err)) {
    out[k] = REDACTED_KEYS.has(k.toLowerCase()) ? REDACTED : redactDeep(v, depth + 1, seen);
  }
  if (err.cause !== undefined) out.cause = redactDeep(err.cause, depth + 1, seen);
  return out;
}
