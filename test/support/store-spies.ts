import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../src/platform/db/index.js';
import { queryable } from '../../src/platform/db/queryable.js';
import type { Kv } from '../../src/platform/kv/index.js';
import { REDIRECT_URI, type Tenant } from './oidc-fixtures.js';

/**
 * Store spies for the round-trip tests (issue 13): what a request sent to PostgreSQL and to the Kv store,
 * told to `record` as it happens. Pass them to `startTestServer({ wrapStores })`.
 */

/** Every statement, its whitespace collapsed; with `transactions`, `BEGIN` and `COMMIT` around each transaction too. */
export function spyDb(db: Db, record: (statement: string) => void, options: { transactions?: boolean } = {}): Db {
  const run = <T,>(sql: string, params: readonly unknown[]) => {
    record(sql.trim().replace(/\s+/g, ' '));
    return db.query<T>(sql, params);
  };
  const spied: Db = { ...db, ...queryable(run, (script) => db.exec(script)) };
  if (!options.transactions) return spied;
  return {
    ...spied,
    async transaction(fn) {
      record('BEGIN');
      try {
        return await db.transaction(fn);
      } finally {
        record('COMMIT');
      }
    },
  };
}

/** Every Kv operation but `ping` and `close`: `kv.<operation> <first argument>`. */
export function spyKv(kv: Kv, record: (op: string) => void): Kv {
  return new Proxy(kv, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name !== 'ping' && name !== 'close') record(`kv.${String(name)} ${String(args[0])}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** `Authorization: Basic …` of the tenant's confidential client (RFC 6749 §2.3.1 form-encodes both parts). */
export function basicAuthOf(t: Tenant): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(t.confidential.clientId)}:${encodeURIComponent(t.confidential.secret)}`).toString('base64')}`;
}

/** An authorization request of the confidential client (code + PKCE, consent prompted) and its verifier. */
export function pkceAuthorization(t: Tenant): { path: string; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: t.confidential.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid offline_access', prompt: 'consent',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  return { path: `/${t.slug}/auth/authorize?${query}`, verifier };
}
