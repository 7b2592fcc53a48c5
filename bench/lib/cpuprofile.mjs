#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof) by function and by file or package: self time (where
// the main thread was when sampled) and inclusive time (how often a function, or any code of a
// file, was anywhere on the stack). Idle time is left out of the percentages; GC and native code
// ("(program)") are listed as their own rows.
// Usage: node bench/lib/cpuprofile.mjs FILE.cpuprofile [--top 20] [--ops N] [--json]
//   --ops: the operations the profile covers, to show milliseconds per operation as well.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** `oidc-provider`, `pg`, `src/oidc/adapter-pg.ts`, `node:internal/…`, or the special V8 names. */
function placeOf(callFrame) {
  const { url, functionName } = callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  let file = url;
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      // keep the URL
    }
  }
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith('node:')) return file.split('/').slice(0, 2).join('/');
  return path.isAbsolute(file) ? path.relative(ROOT, file) : file;
}

function frameName(callFrame) {
  const place = placeOf(callFrame);
  const name = callFrame.functionName || '(anonymous)';
  if (!callFrame.url) return name;
  return `${name} ${place}:${callFrame.lineNumber + 1}`;
}

/**
 * Per function and per file or package: self and inclusive milliseconds. `windows`: [startUs, endUs]
 * pairs on the machine's monotonic clock (V8 stamps samples with it, as `process.hrtime` reads it);
 * only samples inside one of them count, so start-up and warm-up stay out of the summary.
 */
export function summariseProfile(profile, { windows } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const deltas = profile.timeDeltas ?? [];
  const selfMs = new Map();
  const inclusiveMs = new Map();
  const placeSelfMs = new Map();
  const placeInclusiveMs = new Map();
  let busyMs = 0;
  let idleMs = 0;
  const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms);

  const isInWindow = (us) => !windows || windows.some(([from, to]) => us >= from && us <= to);
  // A sample's time is the delta to the next sample.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += deltas[i] ?? 0;
    const ms = (deltas[i + 1] ?? 0) / 1000;
    if (ms <= 0 || !isInWindow(at)) continue;
    const leaf = nodes.get(profile.samples[i]);
    if (!leaf) continue;
    if (leaf.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    add(selfMs, frameName(leaf.callFrame), ms);
    add(placeSelfMs, placeOf(leaf.callFrame), ms);
    const seenFrames = new Set();
    const seenPlaces = new Set();
    for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = nodes.get(id).callFrame;
      if (frame.functionName === '(root)') break;
      const name = frameName(frame);
      const place = placeOf(frame);
      if (!seenFrames.has(name)) {
        seenFrames.add(name);
        add(inclusiveMs, name, ms);
      }
      if (!seenPlaces.has(place)) {
        seenPlaces.add(place);
        add(placeInclusiveMs, place, ms);
      }
    }
  }
  const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return {
    busyMs, idleMs,
    functionsBySelf: sorted(selfMs), functionsByInclusive: sorted(inclusiveMs),
    placesBySelf: sorted(placeSelfMs), placesByInclusive: sorted(placeInclusiveMs),
  };
}

/** A plain-text report of the `top` rows of each list. */
export function formatSummary(summary, { top = 20, ops } = {}) {
  const pct = (ms) => `${((ms / summary.busyMs) * 100).toFixed(1).padStart(5)} %`;
  const perOp = (ms) => (ops ? `${(ms / ops).toFixed(3).padStart(8)} ms/op` : '');
  const rows = (title, list) => [
    title,
    ...list.slice(0, top).map(([name, ms]) => `  ${pct(ms)} ${perOp(ms)}  ${name}`),
  ].join('\n');
  return [
    `busy ${Math.round(summary.busyMs)} ms, idle ${Math.round(summary.idleMs)} ms${ops ? `, ${ops} operations, ${(summary.busyMs / ops).toFixed(3)} ms/op on the main thread` : ''}`,
    rows('self time by file or package', summary.placesBySelf),
    rows('inclusive time by file or package', summary.placesByInclusive),
    rows('self time by function', summary.functionsBySelf),
    rows('inclusive time by function', summary.functionsByInclusive),
  ].join('\n');
}

/** The profile with the most samples in `dir` (the server, not tsx's launcher process). */
export function largestProfile(dir) {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  let best;
  for (const f of files) {
    const size = fs.statSync(path.join(dir, f)).size;
    if (!best || size > best.size) best = { file: path.join(dir, f), size };
  }
  return best?.file;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' }, ops: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals.length !== 1) {
    console.error('usage: node bench/lib/cpuprofile.mjs FILE.cpuprofile|DIR [--top 20] [--ops N] [--json]');
    process.exit(2);
  }
  const target = fs.statSync(positionals[0]).isDirectory() ? largestProfile(positionals[0]) : positionals[0];
  if (!target) {
    console.error(`no .cpuprofile in ${positionals[0]}`);
    process.exit(1);
  }
  const summary = summariseProfile(JSON.parse(fs.readFileSync(target, 'utf8')));
  const top = Number(values.top);
  if (values.json) {
    const cut = (list) => list.slice(0, top).map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
    console.log(JSON.stringify({ file: target, busyMs: Math.round(summary.busyMs), idleMs: Math.round(summary.idleMs),
      placesBySelf: cut(summary.placesBySelf), placesByInclusive: cut(summary.placesByInclusive),
      functionsBySelf: cut(summary.functionsBySelf), functionsByInclusive: cut(summary.functionsByInclusive) }, null, 2));
  } else {
    console.log(`${target}\n${formatSummary(summary, { top, ops: values.ops ? Number(values.ops) : undefined })}`);
  }
}
