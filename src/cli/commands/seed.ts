import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SEED_REDIRECT_URI, SeedInput, type SeedResult } from '../../seed/index.js';
import { parseInput } from '../../platform/validation.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { cliConfig } from '../server-config.js';
import { printJson, printTable, printLine } from '../output.js';
import { withDirectServices } from '../database.js';

interface SeedRunOptions {
  redirectUri: string[];
  out?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `porta seed run` (spec 30 §3): development data, direct mode only. */
export function registerSeed(program: Command): void {
  const seed = program.command('seed').description('development data (direct mode)');
  seed
    .command('run')
    .description('create or refresh the demo organizations, clients and user; print (or write) the playground configuration')
    .option('--redirect-uri <uri>', `a relying party callback to register on every demo client; repeatable (default ${DEFAULT_SEED_REDIRECT_URI})`, collect, [])
    .option('--out <file>', 'write the configuration JSON to this file (mode 0600: it holds a secret and a password)')
    .action(async (opts: SeedRunOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const config = cliConfig(g);
      if (config.env === 'production' && !g.force) {
        throw new CliError('Refusing to seed demo data with NODE_ENV=production: pass --force to do it anyway.', EXIT.usage);
      }
      // A bad URI fails before the database is opened.
      const input = parseInput(SeedInput, { baseUrl: config.issuerBaseUrl, redirectUris: opts.redirectUri.length > 0 ? opts.redirectUri : undefined });
      const result = await withDirectServices(config, (services) => services.seed.run(input));
      if (opts.out) await writeOutput(opts.out, result);
      if (g.json || !opts.out) return printJson(result.output);
      printHuman(result, opts.out);
    });
}

async function writeOutput(file: string, result: SeedResult): Promise<void> {
  try {
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fs.writeFile(file, `${JSON.stringify(result.output, null, 2)}\n`, { mode: 0o600 });
    // An existing file keeps its old mode on write.
    await fs.chmod(file, 0o600);
  } catch (err) {
    throw new CliError(`Cannot write ${file}: ${(err as Error).message}`, EXIT.runtime);
  }
}

function printHuman(result: SeedResult, file: string): void {
  const o = result.output;
  printLine(`Seeded: ${result.items.filter((i) => i.action === 'created').length} created, ${result.items.filter((i) => i.action === 'reused').length} reused.\n`);
  printTable(result.items.map((i) => ({ action: i.action, type: i.type, key: i.key, id: i.id })), ['action', 'type', 'key', 'id']);
  printLine('');
  printTable(
    [
      { item: 'issuer', value: o.issuer },
      { item: 'public client (SPA)', value: o.publicClient.id },
      { item: 'confidential client', value: o.confidentialClient.id },
      { item: 'redirect URIs', value: o.redirectUris.join(' ') },
      { item: 'post-logout URIs', value: o.postLogoutRedirectUris.join(' ') },
      { item: 'user', value: `${o.user.email} / ${o.user.password}` },
    ],
    ['item', 'value'],
  );
  printLine(`\nThe configuration, with the client secret, is in ${file}. This run replaced the password and the secret.`);
}
