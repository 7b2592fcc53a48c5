import { generateSecretValue } from './secrets.js';

interface Ready {
  plaintext: string;
  hash: Promise<string>;
}

/**
 * Generated client secrets whose Argon2id hashes (spec 40: `secret_hash`) are already being computed on
 * the thread pool. An import creates thousands of clients one after another in one transaction; with a
 * few secrets hashed ahead, each hash overlaps the database work of the entries before it instead of
 * adding to it. Only while a bulk run asks for it (`during`), so no process keeps secrets it never uses.
 */
export function createSecretPool(hash: (plaintext: string) => Promise<string>) {
  let depth = 0;
  const ready: Ready[] = [];

  function fill(): void {
    while (ready.length < depth) {
      const plaintext = generateSecretValue();
      const pending = hash(plaintext);
      // A failure is met by whoever takes this secret; unused, it is dropped.
      pending.catch(() => undefined);
      ready.push({ plaintext, hash: pending });
    }
  }

  return {
    /** Runs `fn` with `ahead` generated secrets kept hashed in advance; what is left is dropped at the end. */
    async during<T>(ahead: number, fn: () => Promise<T>): Promise<T> {
      depth += ahead;
      fill();
      try {
        return await fn();
      } finally {
        depth -= ahead;
        ready.splice(depth);
      }
    },

    /** A generated secret and its hash under way, when a bulk run is going on. */
    take(): Ready | undefined {
      const next = ready.shift();
      if (next) fill();
      return next;
    },
  };
}
