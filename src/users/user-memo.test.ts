import { describe, expect, it } from 'vitest';
import type { Queryable } from '../platform/db/index.js';
import { runTransaction } from '../platform/db/scope.js';
import { runInRequestScope } from '../platform/request-scope.js';
import type { User } from './repo.js';
import { forgetUserInRequest, memoizedUser } from './user-memo.js';

const ORG = '00000000-0000-4000-8000-000000000001';
const ID = '00000000-0000-4000-8000-000000000002';

function loader() {
  let loads = 0;
  return {
    get loads() {
      return loads;
    },
    load: async () => ({ id: ID, organizationId: ORG, status: 'active', loadNumber: ++loads, address: null }) as unknown as User,
  };
}

/** A transaction of a fake database: enough for the scope (isInTransaction, afterCommit). */
const inTransaction = <T,>(fn: () => Promise<T>) => runTransaction({}, (body) => body({} as Queryable), fn, undefined);

describe('a user read once per request', () => {
  it('reads every time outside a request', async () => {
    const users = loader();
    await memoizedUser(ORG, ID, users.load);
    await memoizedUser(ORG, ID, users.load);
    expect(users.loads).toBe(2);
  });

  it('reads once within a request, each caller getting its own object', async () => {
    const users = loader();
    await runInRequestScope(async () => {
      const first = await memoizedUser(ORG, ID, users.load);
      const second = await memoizedUser(ORG, ID, users.load);
      expect(users.loads).toBe(1);
      expect(second).toEqual(first);
      expect(second).not.toBe(first);
    });
  });

  it('reads afresh after a write, or takes the row the write returned', async () => {
    const users = loader();
    await runInRequestScope(async () => {
      await memoizedUser(ORG, ID, users.load);
      forgetUserInRequest(ORG, ID);
      expect(await memoizedUser(ORG, ID, users.load)).toMatchObject({ loadNumber: 2 });
      forgetUserInRequest(ORG, ID, { id: ID, status: 'suspended', address: null } as unknown as User);
      expect(await memoizedUser(ORG, ID, users.load)).toMatchObject({ status: 'suspended' });
      expect(users.loads).toBe(2);
    });
  });

  it('inside a transaction always reads and remembers nothing; a write there is forgotten again at commit', async () => {
    const users = loader();
    await runInRequestScope(async () => {
      await inTransaction(async () => {
        await memoizedUser(ORG, ID, users.load);
        await memoizedUser(ORG, ID, users.load);
        forgetUserInRequest(ORG, ID, { id: ID, status: 'inactive', address: null } as unknown as User);
      });
      expect(users.loads).toBe(2);
      expect(await memoizedUser(ORG, ID, users.load)).toMatchObject({ loadNumber: 3 });

      // Another branch of the request, outside the transaction, reads between the write and the commit.
      let written!: () => void;
      const isWritten = new Promise<void>((resolve) => (written = resolve));
      const outside = (async () => {
        await isWritten;
        return memoizedUser(ORG, ID, users.load);
      })();
      await inTransaction(async () => {
        forgetUserInRequest(ORG, ID);
        written();
        expect(await outside).toMatchObject({ loadNumber: 4 });
      });
      expect(await memoizedUser(ORG, ID, users.load)).toMatchObject({ loadNumber: 5 });
    });
  });
});
