#!/usr/bin/env node
// Loopback benchmark of GET /health (a real SELECT 1 + store PING per request).
// Usage: node bench/http.mjs [--url http://127.0.0.1:3000] [--services] [--duration 10] [--connections 50]
// Without --url it starts Porta itself on a free loopback port (embedded backends, or real
// PostgreSQL/Redis with --services) and stops it afterwards. Bounded by --duration.
import os from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, prepareEnvironment, startPorta } from './lib/porta.mjs';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    services: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    path: { type: 'string', default: '/health' },
  },
});

let server;
let environment;
let url = values.url;
if (!url) {
  // A database of its own with --services, dropped afterwards: the bench never touches existing data.
  environment = await prepareEnvironment({ services: values.services, port: await freePort() });
  try {
    server = await startPorta(environment.env);
  } catch (err) {
    await environment.cleanup();
    throw err;
  }
  url = server.url;
}

try {
  const result = await autocannon({
    url: `${url}${values.path}`,
    connections: Number(values.connections),
    duration: Number(values.duration),
  });
  const backends = values.url ? 'external server' : values.services ? 'PostgreSQL + Redis' : 'embedded PGlite + in-process store';
  const summary = {
    target: `GET ${values.path}`,
    backends,
    connections: Number(values.connections),
    durationSeconds: Number(values.duration),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    reqPerSec: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    node: process.version,
    cpus: os.cpus().length,
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  await server?.stop();
  await environment?.cleanup();
}
