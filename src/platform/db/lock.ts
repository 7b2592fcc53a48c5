import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../errors.js';

export type LockPurpose = 'server' | 'cli';

interface LockContent {
  pid: number;
  purpose: LockPurpose;
  hostname: string;
  startedAt: string;
}

/** The embedded database belongs to one process; a second opener fails at once instead of corrupting it. */
export class DataDirLockedError extends AppError {
  constructor(readonly holder: LockContent, lockFile: string) {
    const dir = path.dirname(lockFile);
    const advice =
      holder.purpose === 'server'
        ? 'Stop that server first, or use the CLI in HTTP mode against it (porta login, then porta … without --direct).'
        : 'Wait for that command to finish, or stop it.';
    super(
      'conflict',
      'data_dir_locked',
      `The embedded database in ${dir} is in use by a running Porta ${holder.purpose} (pid ${holder.pid}, since ${holder.startedAt}). ${advice}`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes `lockFile` with O_EXCL; a lock left by a dead process on this host is taken over. */
export function acquireDataDirLock(lockFile: string, purpose: LockPurpose): DataDirLock {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true, mode: 0o700 });
  const mine: LockContent = { pid: process.pid, purpose, hostname: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockFile, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      return holdLock(lockFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(lockFile);
    if (holder && isAlive(holder)) throw new DataDirLockedError(holder, lockFile);
    // Stale (crashed holder) or unreadable half-written file: remove and try again.
    try {
      fs.unlinkSync(lockFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}

function holdLock(lockFile: string): DataDirLock {
  let isHeld = true;
  const release = () => {
    if (!isHeld) return;
    isHeld = false;
    process.off('exit', release);
    const holder = readLock(lockFile);
    if (holder?.pid === process.pid) {
      try {
        fs.unlinkSync(lockFile);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return { release };
}

function readLock(lockFile: string): LockContent | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockContent;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch {
    return null;
  }
}

function isAlive(holder: LockContent): boolean {
  // Another host (shared volume) cannot be probed: assume it is alive.
  if (holder.hostname !== os.hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
