import type { Config } from './config/index.js';

/** One line naming the backends in use and where data lives; URLs lose their credentials. */
export function describeBackends(config: Readonly<Config>): { database: string; store: string; summary: string } {
  const database =
    config.database.kind === 'postgres'
      ? `PostgreSQL ${safeUrl(config.database.url)}`
      : `embedded PostgreSQL (PGlite) in ${config.database.dataDir}`;
  const store = config.kv.kind === 'redis' ? `Redis ${safeUrl(config.kv.url)}` : 'in-process store (single process; sessions end on restart)';
  return { database, store, summary: `database: ${database}; ephemeral store: ${store}` };
}

export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable URL]';
  }
}
