// Where the machine's CPU went during a scenario (Linux /proc): the server's process tree, this
// benchmark process (the load generator), the stores (redis-server, PostgreSQL's shared processes
// and its backends serving the bench database), and everything else. "Other" well above zero
// means something else was running and the figures are lower than the machine can do.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Jiffies per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux almost always). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readJiffies(pid) {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const rest = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { ppid: Number(rest[1]), cpu: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

function isStoreProcess(pid, database) {
  let cmdline;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return false;
  }
  if (/^redis-server\b/.test(cmdline)) return true;
  if (!/^(postgres:|\S*\/postgres\b)/.test(cmdline)) return false;
  // A client backend names its database and peer, e.g. "postgres: 15/main: user db 127.0.0.1(5432) idle".
  const isBackend = /\(\d+\)|\[local\]/.test(cmdline);
  if (!isBackend) return true;
  return database instanceof RegExp ? database.test(cmdline) : database !== undefined && cmdline.includes(` ${database} `);
}

function treeJiffies(rootPid, database) {
  const byParent = new Map();
  const cpu = new Map();
  let stores = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readJiffies(name);
    if (!stat) continue;
    cpu.set(Number(name), stat.cpu);
    if (!byParent.has(stat.ppid)) byParent.set(stat.ppid, []);
    byParent.get(stat.ppid).push(Number(name));
    if (stat.cpu > 0 && isStoreProcess(name, database)) stores += stat.cpu;
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop();
    total += cpu.get(pid) ?? 0;
    stack.push(...(byParent.get(pid) ?? []));
  }
  return { server: total, stores };
}

/** A point-in-time reading; undefined where /proc is not available. `database`: the bench's PostgreSQL database (name or RegExp). */
export function cpuSnapshot(serverPid, database) {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = fields[3] + fields[4];
    return { total, busy: total - idle, ...treeJiffies(serverPid, database), bench: readJiffies(process.pid)?.cpu ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * Shares of the whole machine (all cores = 100 %) between two snapshots, and the CPU time the server's
 * process tree and the stores used in between (`serverMs`, `storesMs`: divide by operations for ms/op).
 */
export function cpuShares(before, after) {
  if (!before || !after || after.total <= before.total) return undefined;
  const span = after.total - before.total;
  const pct = (x) => Math.round((x / span) * 1000) / 10;
  const server = after.server - before.server;
  const bench = after.bench - before.bench;
  const stores = after.stores - before.stores;
  const busy = after.busy - before.busy;
  return {
    serverPct: pct(server), benchPct: pct(bench), storesPct: pct(stores),
    otherPct: pct(Math.max(0, busy - server - bench - stores)), idlePct: pct(span - busy),
    serverMs: (server * 1000) / TICKS_PER_SECOND, storesMs: (stores * 1000) / TICKS_PER_SECOND,
  };
}
