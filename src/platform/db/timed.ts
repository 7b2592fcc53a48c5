import { timed, type OperationTiming } from '../timing.js';
import { queryable } from './queryable.js';
import type { Db, Queryable } from './types.js';

const VERBS = new Set(['select', 'insert', 'update', 'delete', 'with']);
const FIRST_WORD = /^\s*([A-Za-z]+)/;

/** A statement's kind from its first word, so a metric label never carries SQL text. */
export function statementKind(sql: string): string {
  const verb = FIRST_WORD.exec(sql)?.[1]?.toLowerCase();
  return verb !== undefined && VERBS.has(verb) ? verb : 'other';
}

function timeQueryable(target: Queryable, record: OperationTiming): Queryable {
  // one / maybeOne / many are rebuilt on the timed query, so a row-count mismatch is not a database error.
  return queryable(
    (sql, params) => timed(record, statementKind(sql), () => target.query(sql, params)),
    (script) => timed(record, 'script', () => target.exec(script)),
  );
}

/**
 * `db` with every statement, script and transaction timed, on either backend. Statements inside a
 * transaction count under their own kind as well as in the transaction's total (`transaction`).
 */
export function timeDb(db: Db, record: OperationTiming): Db {
  return {
    ...timeQueryable(db, record),
    kind: db.kind,
    transaction: (fn) => timed(record, 'transaction', () => db.transaction((tx) => fn(timeQueryable(tx, record)))),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}
