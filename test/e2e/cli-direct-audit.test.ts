import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPorta } from '../support/cli.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-direct-audit-'));

/** Direct mode on the embedded defaults: no DATABASE_URL, no REDIS_URL. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
  delete e.DATABASE_URL;
  delete e.REDIS_URL;
  delete e.PORTA_SERVER;
  return e;
}

const cli = (args: string[], input = '') => runPorta(args, { env: env(), input });

interface AuditJson {
  data: Array<{ eventType: string; actorId: string | null; actorType: string | null; actorName: string | null; source: string | null; targetType: string | null; targetId: string | null; metadata: Record<string, unknown> }>;
}

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

// Every command goes through the Admin API served in-process, so the direct mode writes the same audit entries as a server.
describe('direct-mode audit entries (the Admin API in-process)', { timeout: 120_000 }, () => {
  it('records keys generate and client secret generate with the CLI as the actor', async () => {
    const file = JSON.stringify({
      organizations: [{ name: 'Audit Co', slug: 'audit-co', applications: [{ name: 'Ledger', slug: 'ledger', clients: [{ client_name: 'Ledger job', client_type: 'confidential', client_id: 'ledger-job', grant_types: ['client_credentials'] }] }] }],
    });
    const provisioned = await cli(['provision', '-f', '-', '--json', '--direct'], file);
    expect(provisioned.status, provisioned.stderr).toBe(0);

    const key = await cli(['keys', 'generate', '--json', '--direct']);
    expect(key.status, key.stderr).toBe(0);
    const { id: keyId, kid } = (JSON.parse(key.stdout) as { data: { id: string; kid: string } }).data;

    const secret = await cli(['client', 'secret', 'generate', 'ledger-job', '--label', 'audited', '--json', '--direct']);
    expect(secret.status, secret.stderr).toBe(0);
    const { id: secretId } = (JSON.parse(secret.stdout) as { data: { id: string } }).data;

    const listed = await cli(['audit', 'list', '--json', '--direct', '--limit', '500']);
    expect(listed.status, listed.stderr).toBe(0);
    const entries = (JSON.parse(listed.stdout) as AuditJson).data;
    const byCli = { actorId: null, actorType: 'cli_direct', actorName: os.userInfo().username, source: 'cli-direct' };
    expect(entries.find((e) => e.eventType === 'signing_key.generated')).toMatchObject({ ...byCli, targetType: 'signing_key', targetId: keyId, metadata: expect.objectContaining({ kid }) });
    expect(entries.find((e) => e.eventType === 'client.secret.generated')).toMatchObject({ ...byCli, targetType: 'client', metadata: expect.objectContaining({ secretId, label: 'audited' }) });
    expect(entries.find((e) => e.eventType === 'import.completed')).toMatchObject(byCli);
  });
});
