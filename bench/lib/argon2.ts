/**
 * Times the product's Argon2id hasher (`createPasswordHasher` with the PASSWORD_HASH_* parameters of the
 * environment, the OWASP minimum by default, as the server reads them): the median of
 * single hashes and verifications, and how many verifications per second every core together
 * manages. Run with tsx before the server starts, on an otherwise idle machine. Prints one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/index.js';
import { createPasswordHasher } from '../../src/users/index.js';

const SAMPLES = 20;
const { env } = process;
const configured = loadConfig({
  NODE_ENV: 'development', PASSWORD_HASH_MEMORY_KIB: env.PASSWORD_HASH_MEMORY_KIB, PASSWORD_HASH_TIME_COST: env.PASSWORD_HASH_TIME_COST,
  PASSWORD_HASH_PARALLELISM: env.PASSWORD_HASH_PARALLELISM,
}).passwordHash;
const hasher = createPasswordHasher(configured);
const hashMs: number[] = [];
const verifyMs: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  let t = performance.now();
  const hash = await hasher.hash(`bench password ${i}`);
  hashMs.push(performance.now() - t);
  t = performance.now();
  if (!(await hasher.verify(hash, `bench password ${i}`))) throw new Error('argon2 verify failed');
  verifyMs.push(performance.now() - t);
}
const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 10) / 10;

// Eight in flight keep libuv's thread pool (4 threads by default) busy on every core.
const hash = await hasher.hash('bench password');
const started = performance.now();
let verified = 0;
await Promise.all(Array.from({ length: 8 }, async () => {
  while (performance.now() - started < 1000) {
    await hasher.verify(hash, 'bench password');
    verified++;
  }
}));
const parallelVerifiesPerSecond = Math.round(verified / ((performance.now() - started) / 1000));

process.stdout.write(`${JSON.stringify({ params: hasher.params, samples: SAMPLES, hashMsMedian: median(hashMs), verifyMsMedian: median(verifyMs), parallelVerifiesPerSecond })}\n`);
