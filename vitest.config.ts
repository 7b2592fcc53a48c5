import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // A developer's own `porta login` (~/.porta/credentials.json) must not switch test CLI runs to HTTP mode;
    // tests that log in set their own file. PORTA_CONTAINER=0: some machines have /.dockerenv.
    env: { NODE_ENV: 'test', PORTA_CREDENTIALS_FILE: path.join(os.tmpdir(), 'porta-test-no-credentials', 'credentials.json'), PORTA_CONTAINER: '0' },
  },
});
