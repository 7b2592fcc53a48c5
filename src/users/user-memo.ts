import { afterCommit, isInTransaction } from '../platform/db/index.js';
import { forgetInRequest, requestMemo } from '../platform/request-scope.js';
import type { User } from './repo.js';

const keyOf = (orgId: string, id: string) => `user:${orgId}:${id}`;

/** Each caller gets its own object, as from a read of its own. */
const copyOf = (user: User | null): User | null => user && { ...user, address: user.address && { ...user.address } };

/**
 * A user's row read once per HTTP request (platform/request-scope.ts): the sign-in's steps, the second
 * factor and the engine all ask for it. Inside a transaction it is always read afresh and not remembered:
 * the transaction may yet roll back, and its own writes must be seen.
 */
export function memoizedUser(orgId: string, id: string, load: () => Promise<User | null>): Promise<User | null> {
  if (isInTransaction()) return load();
  return requestMemo(keyOf(orgId, id), load).then(copyOf);
}

/**
 * Every write of a user's row, in this domain or another (the two-factor columns), calls this so that
 * the request's next read is fresh. A write inside a transaction is forgotten once more when it commits
 * (a read outside it in between would see the old row); a row that a write outside any transaction
 * returned (`RETURNING *`, committed) is remembered as a read.
 */
export function forgetUserInRequest(orgId: string, id: string, written?: User | null): void {
  const key = keyOf(orgId, id);
  forgetInRequest(key);
  if (isInTransaction()) {
    void afterCommit(() => forgetInRequest(key));
  } else if (written) {
    const row = copyOf(written);
    void requestMemo(key, () => Promise.resolve(row));
  }
}
