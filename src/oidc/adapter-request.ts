import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { TOKEN_AND_GRANT, type FoundRow } from './adapter-statements.js';

/** Token models whose value is their id; the lookup of one fetches its grant along. */
export const TOKEN_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'RefreshToken']);

/** A consume held back until the request's next write (see `deferConsume`). */
export interface HeldConsume {
  id: string;
  /** When it was asked for: the consumption's time. */
  at: string;
  /** Runs it by itself (throws as a lost consume does). */
  runAlone(): Promise<void>;
}

export interface RequestLookups {
  /** The rows with this id (any durable type) and their grants, read once per request; undefined outside a request. */
  rowsWithId(id: string): Promise<FoundRow[]> | undefined;
  /** A row this request already read, handed out once; null when it is known not to exist; undefined when unknown. */
  take(type: string, id: string): FoundRow | null | undefined;
  /** True when this request's lookup of `id` found a token of a durable model: ids are unique across models. */
  isDurableToken(id: string): Promise<boolean>;
  /** After any write of this request: nothing read before is reused. */
  forget(): void;
  /**
   * Holds a consume back so the request's next write can carry it in the same statement (a refresh
   * token's rotation: consume the old one, store the new one). Should no write come before the event
   * loop turns, it runs by itself. False outside a request: the caller runs it now.
   */
  deferConsume(held: HeldConsume): boolean;
  /** True while this request holds a consume back (or one that ran by itself is still to be observed). */
  isHolding(): boolean;
  /**
   * The held consume, for the caller's write to carry (it will not also run by itself); undefined when
   * none is held. A consume that already ran by itself is awaited here, so its loss fails this write too.
   */
  claimConsume(): Promise<HeldConsume | undefined>;
}

interface RequestMemo {
  byId: Map<string, Promise<FoundRow[]>>;
  /** Rows read along (grants), by `type:id`; null: looked for and absent. */
  rows: Map<string, FoundRow | null>;
  held?: { consume: HeldConsume; isClaimed: boolean; ranAlone?: Promise<void> };
}

/**
 * What one engine request shares between the durable models. The engine looks a presented token up in
 * every model it could be (introspection: access token, client credentials and refresh token at once)
 * and then its grant; here the first lookup reads the token's rows and its grant in one statement, and
 * the others are answered from it. A refresh token's consume travels with the write of its successor.
 * `requestKey` names the engine's request; without one (work outside a request) nothing is shared.
 */
export function createRequestLookups(db: Db, clock: Clock, organizationId: string, requestKey: () => object | undefined): RequestLookups {
  const memos = new WeakMap<object, RequestMemo>();
  const memoOf = (create: boolean): RequestMemo | undefined => {
    const key = requestKey();
    if (!key) return undefined;
    let memo = memos.get(key);
    if (!memo && create) memos.set(key, (memo = { byId: new Map(), rows: new Map() }));
    return memo;
  };

  return {
    rowsWithId(id) {
      const memo = memoOf(true);
      if (!memo) return undefined;
      let pending = memo.byId.get(id);
      if (!pending) {
        pending = db.many<FoundRow>(TOKEN_AND_GRANT, [id, organizationId, new Date(clock.now()).toISOString()]).then((rows) => {
          if (memo.byId.get(id) !== pending) return rows;
          for (const row of rows) if (row.id !== id) memo.rows.set(`${row.type}:${row.id}`, row);
          for (const row of rows) {
            const grantId = row.id === id ? row.payload.grantId : undefined;
            if (typeof grantId === 'string' && !memo.rows.has(`Grant:${grantId}`)) memo.rows.set(`Grant:${grantId}`, null);
          }
          return rows;
        });
        memo.byId.set(id, pending);
        pending.catch(() => memo.byId.delete(id));
      }
      return pending;
    },

    take(type, id) {
      const memo = memoOf(false);
      const key = `${type}:${id}`;
      if (!memo?.rows.has(key)) return undefined;
      const row = memo.rows.get(key) ?? null;
      // Handed out once: a second read in the same request asks the database, and never shares an object.
      memo.rows.delete(key);
      return row;
    },

    async isDurableToken(id) {
      const pending = memoOf(false)?.byId.get(id);
      if (!pending) return false;
      try {
        return (await pending).some((row) => row.id === id && TOKEN_MODELS.has(row.type));
      } catch {
        return false;
      }
    },

    forget() {
      const memo = memoOf(false);
      if (!memo) return;
      memo.byId.clear();
      memo.rows.clear();
    },

    deferConsume(consume) {
      const memo = memoOf(true);
      if (!memo || memo.held) return false;
      const held: NonNullable<RequestMemo['held']> = { consume, isClaimed: false };
      memo.held = held;
      setImmediate(() => {
        if (held.isClaimed) return;
        held.isClaimed = true;
        held.ranAlone = consume.runAlone();
        // Observed by the request's next write; a request that writes nothing more has issued nothing.
        held.ranAlone.catch(() => undefined);
      });
      return true;
    },

    isHolding() {
      return memoOf(false)?.held !== undefined;
    },

    async claimConsume() {
      const memo = memoOf(false);
      const held = memo?.held;
      if (!held) return undefined;
      memo.held = undefined;
      if (!held.isClaimed) {
        held.isClaimed = true;
        return held.consume;
      }
      await held.ranAlone;
      return undefined;
    },
  };
}
