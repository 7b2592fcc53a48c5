/**
 * The durable store. Backed by a `pg` Pool or by embedded PGlite; both run the same SQL.
 * Values always travel as `$n` parameters.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Exactly one row, else throws. */
  one<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T>;
  /** Zero or one row; more throws. */
  maybeOne<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T | null>;
  many<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /**
   * Runs `fn` in one transaction on one connection; commits on return, rolls back on throw. Every
   * query made through this `Db` within `fn`'s call chain joins it; a nested call is a savepoint.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** `SELECT 1`; throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
