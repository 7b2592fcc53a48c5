import type { Command } from 'commander';
import { createSigningKeyService, type SigningKey, type SigningKeyService } from '../../keys/index.js';
import type { Config } from '../../config/index.js';
import type { Db } from '../../platform/db/index.js';
import { createKv } from '../../platform/kv/index.js';
import { systemClock } from '../../platform/clock.js';
import { createLog } from '../../platform/log.js';
import { cliConfig, confirm, printJson, printTable, type GlobalOptions } from '../context.js';
import { withDirectDb } from '../direct.js';
import { isHttpMode } from '../http/mode.js';
import { keysOverHttp } from './keys-http.js';

const TOKEN_TTL_KEYS = ['access_token_ttl', 'id_token_ttl', 'refresh_token_ttl'];

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('list, generate, rotate or revoke the signing keys');

  keys
    .command('list')
    .description('every signing key, newest first')
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (isHttpMode(g)) return keysOverHttp.list(g);
      const list = await withKeys(g, (service) => service.list());
      if (g.json) return printJson(list);
      printTable(list.map(row), ['kid', 'status', 'algorithm', 'activated_at', 'retired_at', 'revoked_at', 'created_at']);
    });

  keys
    .command('generate')
    .description('add a new active key; it signs new tokens, older active keys still verify')
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (isHttpMode(g)) return keysOverHttp.generate(g);
      const key = await withKeys(g, (service) => service.generate());
      const message = `Generated signing key ${key.kid}; every server signs with it within 60 s. Older active keys keep verifying until you rotate.`;
      if (g.json) return printJson({ id: key.id, kid: key.kid, message });
      process.stdout.write(`${message}\n`);
    });

  keys
    .command('rotate')
    .description('retire every active key except the newest (asks first)')
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (isHttpMode(g)) return keysOverHttp.rotate(g);
      const result = await withKeys(g, async (service, db) => {
        const active = (await service.list()).filter((k) => k.status === 'active');
        const [newest, ...older] = active;
        if (older.length > 0) {
          const wait = await longestTokenTtl(db);
          await confirm(
            g,
            `This retires ${older.length} active key(s): ${older.map((k) => k.kid).join(', ')}; ${newest?.kid} keeps signing.\n` +
              `Tokens signed by a retired key are rejected: run this only once the longest token TTL (${describeSeconds(wait)}) ` +
              'has passed since the newest key was generated.',
          );
        }
        const retiredKids = older.length > 0 ? await service.rotate() : [];
        return { activeKid: newest?.kid ?? null, retiredKids };
      });
      const message = result.retiredKids.length === 0 ? 'Nothing to retire: only one key is active.' : `Retired ${result.retiredKids.length}: ${result.retiredKids.join(', ')}; ${result.activeKid} signs.`;
      if (g.json) return printJson({ activeKid: result.activeKid, retiredCount: result.retiredKids.length, retiredKids: result.retiredKids, message });
      process.stdout.write(`${message}\n`);
    });

  keys
    .command('revoke <kid>')
    .description('mark a key compromised: it stops verifying at once (asks first)')
    .action(async (kid: string, _opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (isHttpMode(g)) return keysOverHttp.revoke(g, kid);
      const key = await withKeys(g, async (service) => {
        const list = await service.list();
        const target = list.find((k) => k.kid === kid || k.id === kid);
        const activeCount = list.filter((k) => k.status === 'active').length;
        // Unknown, already revoked or last active: the service answers without a question.
        if (target && target.status !== 'revoked' && !(target.status === 'active' && activeCount === 1)) {
          await confirm(g, `Revoke signing key ${target.kid} (${target.status})? Every token it signed stops verifying at once.`);
        }
        return service.revoke(kid);
      });
      if (g.json) return printJson(key);
      process.stdout.write(`Revoked signing key ${key.kid}.\n`);
    });
}

async function withKeys<T>(g: GlobalOptions, fn: (service: SigningKeyService, db: Db) => Promise<T>): Promise<T> {
  const config: Readonly<Config> = cliConfig(g);
  const log = createLog({ env: 'test', level: 'silent' });
  // The store only carries the version counter that tells running servers to reload their keys.
  const kv = createKv(config.kv, { clock: systemClock, log });
  try {
    return await withDirectDb(config, (db) => fn(createSigningKeyService({ db, kv, clock: systemClock, log }), db));
  } finally {
    await kv.close();
  }
}


async function longestTokenTtl(db: Db): Promise<number> {
  const rows = await db.many<{ value: unknown }>('SELECT value FROM system_config WHERE key = ANY($1)', [TOKEN_TTL_KEYS]);
  return Math.max(0, ...rows.map((r) => Number(r.value)).filter(Number.isFinite));
}

function describeSeconds(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} days`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${seconds} s`;
}

function row(k: SigningKey): Record<string, string> {
  return {
    kid: k.kid,
    status: k.status,
    algorithm: k.algorithm,
    activated_at: k.activatedAt,
    retired_at: k.retiredAt ?? '',
    revoked_at: k.revokedAt ?? '',
    created_at: k.createdAt,
  };
}
