import { Session } from 'node:inspector/promises';
import { execFileSync, spawn } from 'node:child_process';
import { it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer } from '../support/server.js';
import { createTenant } from '../support/oidc-fixtures.js';

it('allocprof', async () => {
const scenario = process.argv[2] ?? 'cc';
const s = await startTestServer({ backends: 'services', env: { LOG_LEVEL: 'warn' } });
for (const key of ['rate_limit_token_max', 'rate_limit_introspection_max']) await s.porta.services.systemConfig.set(systemActor(), key, '100000');
const t = await createTenant(s.porta.services, 'allocprof');
const basic = `Basic ${Buffer.from(`${encodeURIComponent(t.confidential.clientId)}:${encodeURIComponent(t.confidential.secret)}`).toString('base64')}`;
const url = `${s.url}/${t.slug}/auth/token`;
const body = 'grant_type=client_credentials';
const run = (secs: number) => new Promise<void>((resolve) => {
  const p = spawn('node_modules/.bin/autocannon', ['-c', '20', '-d', String(secs), '-m', 'POST', '-H', `authorization=${basic}`, '-H', 'content-type=application/x-www-form-urlencoded', '-b', body, url], { stdio: ['ignore', 'ignore', 'inherit'] });
  p.on('exit', () => resolve());
});
await run(3);
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
await run(5);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: Node } };
interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
const byPair = new Map<string, number>();
const name = (n: Node) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')}:${n.callFrame.lineNumber + 1}`;
const walkPairs = (n: Node, chain: string[]) => {
  const here = [...chain, name(n)];
  if (n.selfSize > 0) { const k = here.slice(-4).join(' <- '); byPair.set(k, (byPair.get(k) ?? 0) + n.selfSize); }
  n.children.forEach((c) => walkPairs(c, here));
};
walkPairs(profile.head, []);
const walk = (n: Node) => {
  const file = n.callFrame.url.replace(/.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '').replace(/\/.*$/, (m) => (n.callFrame.url.includes('node_modules') ? '' : m));
  const fn = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')}:${n.callFrame.lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + n.selfSize);
  byFile.set(file || '(native)', (byFile.get(file || '(native)') ?? 0) + n.selfSize);
  total += n.selfSize;
  n.children.forEach(walk);
};
walk(profile.head);
console.log(`total sampled ${(total / 1e6).toFixed(1)} MB`);
for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
console.log('---');
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
console.log('--- chains');
for (const [k, v] of [...byPair].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${(100 * v / total).toFixed(1).padStart(5)} %  ${k.split(' <- ').reverse().join(' <- ')}`);
await s.stop();
}, 120_000);
