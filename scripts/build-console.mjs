#!/usr/bin/env node
// Builds the admin console (console/ → dist/console) with Vite when the build is missing or stale: the
// stamp file holds a hash of every source file, the Vite config and the lockfile. `npm start`, the browser
// tests and `.ci/run` call it; `npm run build` always builds (`--force`).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const consoleDir = path.join(root, 'console');
const outDir = path.join(root, 'dist', 'console');
const stampFile = path.join(outDir, '.source-hash');

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : files(full);
    return [full];
  });
}

/** The hash of what the build is made from. */
export function sourceHash() {
  const hash = createHash('sha256');
  const inputs = [...files(consoleDir), path.join(root, 'package-lock.json')].sort();
  for (const file of inputs) {
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

export function isStale() {
  try {
    return fs.readFileSync(stampFile, 'utf8').trim() !== sourceHash() || !fs.existsSync(path.join(outDir, 'index.html'));
  } catch {
    return true;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** False when the lock's holder is known to have exited (a build killed half-way leaves its lock behind). */
function isAlive(lock) {
  let pid;
  try {
    pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    return true; // just created: the holder has not written its pid yet
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** One build at a time across processes (parallel test files): a lock directory, taken over when stale. */
async function withLock(fn) {
  const lock = path.join(root, 'dist', '.console-build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 3 * 60_000 || !isAlive(lock)) fs.rmSync(lock, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds when stale (or always with `force`); returns true when it built. The new build is made beside the
 * old one and swapped in, so a running server never sees a half-written dist/console.
 */
export async function buildConsole({ force = false, quiet = false } = {}) {
  if (!force && !isStale()) return false;
  let vite;
  try {
    vite = await import('vite');
  } catch {
    if (fs.existsSync(path.join(outDir, 'index.html'))) return false;
    throw new Error('The admin console is not built and Vite is not installed: run `npm install` (with dev dependencies), then `npm run build`.');
  }
  return withLock(async () => {
    if (!force && !isStale()) return false;
    const hash = sourceHash();
    const next = `${outDir}.next`;
    const previous = `${outDir}.previous`;
    fs.rmSync(next, { recursive: true, force: true });
    // Always the production bundle, also when a test runner set NODE_ENV=test (Vite would follow it).
    // eslint-disable-next-line no-restricted-syntax -- a build script, not the server: Vite reads NODE_ENV
    process.env.NODE_ENV = 'production';
    await vite.build({ configFile: path.join(consoleDir, 'vite.config.ts'), mode: 'production', logLevel: quiet ? 'warn' : 'info', build: { outDir: next, emptyOutDir: true } });
    fs.writeFileSync(path.join(next, '.source-hash'), `${hash}\n`);
    fs.rmSync(previous, { recursive: true, force: true });
    if (fs.existsSync(outDir)) fs.renameSync(outDir, previous);
    fs.renameSync(next, outDir);
    fs.rmSync(previous, { recursive: true, force: true });
    return true;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const force = process.argv.includes('--force');
  const quiet = process.argv.includes('--quiet');
  buildConsole({ force, quiet }).then(
    (built) => {
      if (!built && !quiet) console.log('admin console: dist/console is up to date');
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
