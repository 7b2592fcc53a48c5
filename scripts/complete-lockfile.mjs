#!/usr/bin/env node
// The package registry reachable from our build machines mirrors only some platforms' native
// packages (e.g. @rollup/rollup-darwin-arm64 is absent), so `npm install` there writes a lockfile
// that lacks those optional entries and `npm ci` then rejects it as out of sync. This adds the
// missing platform-specific optional entries, with the os/cpu/libc their names encode, so `npm ci`
// accepts the lock and simply skips them on other platforms. Run it after every `npm install`.
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const PLATFORM = /-(android|darwin|freebsd|linux|openbsd|openharmony|win32|sunos|aix|netbsd)-(arm64|arm|x64|ia32|loong64|ppc64|riscv64|s390x|mips64el|wasm32)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi))?$/;

const added = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const m = PLATFORM.exec(dep);
    if (!m) continue;
    const parent = path === '' ? '' : `${path}/`;
    if (packages[`${parent}node_modules/${dep}`] || packages[`node_modules/${dep}`]) continue;
    const [, os, cpu, abi] = m;
    const stub = { version: range.replace(/^[\^~=]/, ''), cpu: [cpu], ...(entry.dev ? { dev: true } : {}), optional: true, os: [os] };
    if (os === 'linux' && abi) stub.libc = [abi.startsWith('musl') ? 'musl' : 'glibc'];
    packages[`node_modules/${dep}`] = stub;
    added.push(dep);
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length === 0 ? 'package-lock.json is complete.' : `Added ${added.length} platform entries: ${added.join(', ')}`);
