import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPorta } from '../support/cli.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-keys-'));

/** Direct mode on the embedded defaults: no DATABASE_URL, no REDIS_URL. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
  delete e.DATABASE_URL;
  delete e.REDIS_URL;
  delete e.PORTA_SERVER;
  return e;
}

function cli(...args: string[]) {
  // stdin is not a terminal here: commands run as written, what a question would say goes to stderr.
  return runPorta(args, { env: env() });
}

interface KeyJson {
  id: string;
  kid: string;
  algorithm: string;
  status: string;
  retiredAt: string | null;
  revokedAt: string | null;
}

/** `--json` prints the Admin API body, in both modes. */
const listKeys = async () => (JSON.parse((await cli('keys', 'list', '--json')).stdout) as { data: KeyJson[] }).data;

beforeAll(async () => {
  const migrated = await cli('migrate', 'up');
  expect(migrated.status, migrated.stderr).toBe(0);
});
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

// Each invocation starts tsx and opens PGlite (about a second or more): allow for a loaded machine.
describe('porta keys (direct mode: the Admin API served in-process on the embedded database)', { timeout: 120_000 }, () => {
  it('lists nothing before the first key, then generates RS256 (the default) and ES256 keys that list newest first', async () => {
    const empty = await cli('keys', 'list');
    expect(empty.status).toBe(0);
    expect(empty.stdout).toBe('(none)\n');

    const first = await cli('keys', 'generate');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Generated RS256 signing key [0-9a-f]{16}; every server signs RS256 tokens with it within 60 s/);

    const second = await cli('keys', 'generate', '--alg', 'es256', '--json');
    expect(second.status, second.stderr).toBe(0);
    const body = (JSON.parse(second.stdout) as { data: { id: string; kid: string; algorithm: string; message: string } }).data;
    expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), kid: expect.stringMatching(/^[0-9a-f]{16}$/), algorithm: 'ES256', message: expect.any(String) });

    const third = await cli('keys', 'generate', '--alg', 'RS256');
    expect(third.status, third.stderr).toBe(0);

    const unknown = await cli('keys', 'generate', '--alg', 'PS256');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('must be RS256 or ES256');

    const keys = await listKeys();
    expect(keys.map((k) => [k.algorithm, k.status])).toEqual([
      ['RS256', 'active'],
      ['ES256', 'active'],
      ['RS256', 'active'],
    ]);
    expect(keys[1]!.kid).toBe(body.kid);
    expect(JSON.stringify(keys)).not.toMatch(/PRIVATE KEY|private/i);

    const table = await cli('keys', 'list');
    expect(table.stdout).toMatch(/^KID\s+STATUS\s+ALGORITHM\s+ACTIVATED_AT\s+RETIRED_AT\s+REVOKED_AT\s+CREATED_AT\n/);
    expect(table.stdout.split('\n')[2]).toMatch(new RegExp(`^${body.kid}\\s+active\\s+ES256\\s+\\d{4}-`));
  });

  it('rotates per algorithm as the guide runs it (no terminal), warning about the longest token TTL', async () => {
    const [newest, es, older] = await listKeys();
    const esOnly = await cli('keys', 'rotate', '--alg', 'ES256');
    expect(esOnly.status, esOnly.stderr).toBe(0);
    expect(esOnly.stderr).toBe('');
    expect(esOnly.stdout).toBe(`Nothing to retire: only one key per algorithm is active (ES256: ${es!.kid}).\n`);

    const rotated = await cli('keys', 'rotate', '--json');
    expect(rotated.stderr).toContain(`retires 1 active key(s): ${older!.kid}; ${newest!.kid} (RS256), ${es!.kid} (ES256) keep(s) signing`);
    expect(rotated.stderr).toContain('longest token TTL (14 days)');
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({
      data: { activeKid: newest!.kid, activeKids: { RS256: newest!.kid, ES256: es!.kid }, retiredCount: 1, retiredKids: [older!.kid] },
    });
    expect((await listKeys()).map((k) => k.status)).toEqual(['active', 'active', 'retired']);

    const nothing = await cli('keys', 'rotate');
    expect(nothing.status).toBe(0);
    expect(nothing.stdout).toBe(`Nothing to retire: only one key per algorithm is active (RS256: ${newest!.kid}, ES256: ${es!.kid}).\n`);
  });

  it('revokes (asking only on a terminal), never the last active key of an algorithm, and reports unknown kids', async () => {
    const [rs, es, retired] = await listKeys();
    const unknown = await cli('keys', 'revoke', '0000000000000000');
    expect(unknown.status).toBe(5);
    expect(unknown.stderr).toBe('porta: No signing key 0000000000000000.\n');

    for (const last of [rs!, es!]) {
      const refused = await cli('keys', 'revoke', last.kid, '--json');
      expect(refused.status).toBe(6);
      expect(JSON.parse(refused.stderr)).toEqual({ error: 'in_use', message: expect.stringContaining(`${last.kid} is the only active ${last.algorithm} signing key`), details: { algorithm: last.algorithm } });
    }

    // No terminal: it does what was asked, and says what the question would have said.
    const revoked = await cli('keys', 'revoke', retired!.kid);
    expect(revoked.stderr).toContain(`Revoke RS256 signing key ${retired!.kid} (retired)?`);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`Revoked signing key ${retired!.kid}.\n`);
    const after = await listKeys();
    expect(after[2]).toMatchObject({ kid: retired!.kid, status: 'revoked', revokedAt: expect.any(String) });
  });
});
