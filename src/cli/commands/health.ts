import type { Command } from 'commander';
import { createKv } from '../../platform/kv/index.js';
import { systemClock } from '../../platform/clock.js';
import { createLog } from '../../platform/log.js';
import { cliConfig } from '../server-config.js';
import { printJson, printTable } from '../output.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { withDirectDb } from '../database.js';

type Checks = Record<string, 'ok' | 'error'>;

export function registerHealth(program: Command): void {
  program
    .command('health')
    .description("check a running server's /health, or the database and store directly with --direct")
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const checks = g.direct ? await directChecks(g) : await httpChecks(serverUrl(g));
      const isOk = Object.values(checks).every((v) => v === 'ok');
      if (g.json) printJson({ status: isOk ? 'ok' : 'error', checks });
      else printTable(Object.entries(checks).map(([service, status]) => ({ service, status })), ['service', 'status']);
      if (!isOk) throw new CliError('unhealthy', EXIT.runtime, null);
    });
}

export function serverUrl(g: GlobalOptions): string {
  const url = g.server ?? process.env.PORTA_SERVER ?? `http://localhost:${process.env.PORT ?? 3000}`;
  return url.replace(/\/+$/, '');
}

async function httpChecks(server: string): Promise<Checks> {
  let res: Response;
  try {
    res = await fetch(`${server}/health`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new CliError(`cannot reach ${server}/health: ${err instanceof Error ? err.message : String(err)}`, EXIT.runtime);
  }
  const body = (await res.json().catch(() => null)) as { checks?: Checks } | null;
  if (!body?.checks) throw new CliError(`${server}/health answered ${res.status} without checks`, EXIT.runtime);
  return { server: res.ok ? 'ok' : 'error', ...body.checks };
}

async function directChecks(g: GlobalOptions): Promise<Checks> {
  const config = cliConfig(g);
  const kv = createKv(config.kv, { clock: systemClock, log: createLog({ env: 'test', level: 'silent' }) });
  try {
    return await withDirectDb(config, async (db) => {
      const [database, redis] = await Promise.all([
        db.ping().then(() => 'ok' as const, () => 'error' as const),
        kv.ping().then(() => 'ok' as const, () => 'error' as const),
      ]);
      return { database, redis };
    });
  } finally {
    await kv.close();
  }
}
