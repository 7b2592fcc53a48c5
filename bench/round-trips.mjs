#!/usr/bin/env node
// What one store round trip costs the Node.js process that makes it, on this machine: the floor under
// any server that keeps its state in Redis or PostgreSQL rather than in its own memory. Runs the same
// clients Porta uses (ioredis with auto-pipelining and a command timeout, pg with a pool of 10 and a
// named prepared statement) against 127.0.0.1 with a fixed number of concurrent callers, and reports
// this process's CPU time (process.cpuUsage: user + system, every thread) per operation. Bounded: each
// case runs --duration seconds after --warmup; it creates and deletes one Redis key of its own and
// reads only `SELECT $1::int` from PostgreSQL.
//
// Flat out, auto-pipelining packs hundreds of commands into one write and the cost per operation is
// far below a server's, whose requests arrive one by one. `--rate N` paces the callers to N operations
// per second in all (each waits on a timer between operations, as a server's requests arrive spread
// out), which is the cost a server at that request rate pays; the "nothing" case at the same rate is
// the pacing's own cost, to subtract.
//
//   node bench/round-trips.mjs [--duration 5] [--warmup 1] [--concurrency 20] [--rounds 2] [--rate 0,3000]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    rate: { type: 'string', default: '0,3000' },
  },
});
const durationMs = Number(args.duration) * 1000;
const warmupMs = Number(args.warmup) * 1000;
const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);
const rates = args.rate.split(',').map(Number);

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redis = new Redis(redisUrl, { enableAutoPipelining: true, commandTimeout: 1500, maxRetriesPerRequest: 1, lazyConnect: true });
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const key = `porta-bench:round-trips:${randomBytes(6).toString('hex')}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `op` in `concurrency` loops for the warm-up and then the measured window, flat out (rate 0) or
 * paced to `rate` operations per second in all; CPU ms per op of this process.
 */
async function measure(op, rate) {
  const gapMs = rate > 0 ? (concurrency * 1000) / rate : 0;
  const run = async (ms) => {
    const until = Date.now() + ms;
    let count = 0;
    await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
      if (gapMs > 0) await sleep((gapMs * i) / concurrency);
      while (Date.now() < until) {
        const started = Date.now();
        await op();
        count++;
        if (gapMs > 0) await sleep(Math.max(0, gapMs - (Date.now() - started)));
      }
    }));
    return count;
  };
  await run(warmupMs);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const count = await run(durationMs);
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: Math.round(count / seconds), cpuMsPerOp: (used.user + used.system) / 1000 / count };
}

const cases = {
  'nothing (the loop itself)': () => Promise.resolve(),
  'Redis INCR': () => redis.incr(key),
  'Redis GET': () => redis.get(key),
  'PostgreSQL SELECT (prepared)': () => pool.query({ name: 'round_trip_probe', text: 'SELECT $1::int AS n', values: [1] }),
};

try {
  await redis.connect();
  await pool.query('SELECT 1');
  const results = {};
  for (let round = 1; round <= rounds; round++) {
    for (const rate of rates) {
      for (const [name, op] of Object.entries(cases)) {
        (results[`${name} @ ${rate || 'flat out'}`] ??= []).push({ rate, ...(await measure(op, rate)) });
      }
    }
  }
  process.stderr.write(`store round trips from Node ${process.version}, ${concurrency} concurrent callers, ${args.duration} s per case, ${rounds} round(s)\n`);
  process.stderr.write(`${'case @ rate'.padEnd(42)} ${'per second'.padStart(12)} ${'client CPU ms/op'.padStart(18)}\n`);
  for (const [name, runs] of Object.entries(results)) {
    for (const r of runs) process.stderr.write(`${name.padEnd(42)} ${String(r.perSecond).padStart(12)} ${r.cpuMsPerOp.toFixed(4).padStart(18)}\n`);
  }
  process.stdout.write(`${JSON.stringify({ concurrency, durationSeconds: Number(args.duration), node: process.version, results })}\n`);
} finally {
  await redis.del(key).catch(() => undefined);
  redis.disconnect();
  await pool.end();
}
