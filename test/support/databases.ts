import { describe } from 'vitest';
import { createEmbeddedDb, createPostgresDb, type Db } from '../../src/platform/db/index.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './services.js';

export type OpenDb = () => Promise<{ db: Db; dispose(): Promise<void> }>;

/**
 * Runs `suite` once on the embedded engine (in memory) and once on a fresh PostgreSQL database
 * (skipped, or failed under PORTA_TEST_REQUIRE_SERVICES=1, when PostgreSQL is unreachable).
 */
export function onEachDatabase(name: string, suite: (open: OpenDb) => void): void {
  describe(`${name} (embedded)`, () => {
    suite(async () => {
      const db = await createEmbeddedDb({ dataDir: 'memory://' });
      return { db, dispose: () => db.close() };
    });
  });
  describeWithPostgres(`${name} (PostgreSQL)`, () => {
    let testDb: TestDatabase | undefined;
    suite(async () => {
      testDb = await createTestDatabase();
      const db = createPostgresDb({ url: testDb.url });
      return {
        db,
        async dispose() {
          await db.close();
          await testDb?.drop();
        },
      };
    });
  });
}
