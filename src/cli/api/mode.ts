import fs from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from '../context.js';
import { hasCredentials } from '../auth/credentials.js';

export interface ModeInputs {
  isDirectFlag: boolean;
  /** `--server`. */
  serverFlag?: string;
  /** `--database-url`: asks for direct mode like `--direct`. */
  databaseUrlFlag?: string;
  envServer?: string;
  envDatabaseUrl?: string;
  hasCredentials: boolean;
  hasEmbeddedData: boolean;
}

export type Mode =
  | { kind: 'http'; server: string | null }
  | { kind: 'direct'; reason: 'flag' | 'database_url' | 'embedded' }
  | { kind: 'none' };

/**
 * Spec 30 §1, in order: an explicit `--direct`; a server named by `--server`/`PORTA_SERVER`; a stored
 * login; then direct on `DATABASE_URL` or an existing embedded data directory; else no mode at all.
 */
export function selectMode(i: ModeInputs): Mode {
  if (i.isDirectFlag || i.databaseUrlFlag) return { kind: 'direct', reason: 'flag' };
  if (i.serverFlag) return { kind: 'http', server: i.serverFlag };
  if (i.envServer) return { kind: 'http', server: i.envServer };
  if (i.hasCredentials) return { kind: 'http', server: null };
  if (i.envDatabaseUrl) return { kind: 'direct', reason: 'database_url' };
  if (i.hasEmbeddedData) return { kind: 'direct', reason: 'embedded' };
  return { kind: 'none' };
}

export function modeInputs(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): ModeInputs {
  // Where loadConfig puts the embedded database: PORTA_DATA_DIR (default ./.porta) + /data.
  const dataDir = path.join(path.resolve(env.PORTA_DATA_DIR || './.porta'), 'data');
  return {
    isDirectFlag: Boolean(g.direct),
    serverFlag: g.server,
    databaseUrlFlag: g.databaseUrl,
    envServer: env.PORTA_SERVER || undefined,
    envDatabaseUrl: env.DATABASE_URL || undefined,
    hasCredentials: hasCredentials(),
    hasEmbeddedData: !env.DATABASE_URL && fs.existsSync(dataDir),
  };
}

export function currentMode(g: GlobalOptions): Mode {
  return selectMode(modeInputs(g));
}
