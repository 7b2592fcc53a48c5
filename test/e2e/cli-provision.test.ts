import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPorta } from '../support/cli.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-provision-'));
const SECRET = 'e2e-provisioned-secret-0123456789abcdef';

/** Direct mode on the embedded defaults: no DATABASE_URL, no REDIS_URL. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
  delete e.DATABASE_URL;
  delete e.REDIS_URL;
  delete e.PORTA_SERVER;
  return e;
}

function cli(args: string[], input = '') {
  return runPorta(args, { env: env(), input });
}

const yamlFile = path.join(dataDir, 'tenants.yaml');
fs.writeFileSync(
  yamlFile,
  `# Two tenants sharing one application
organizations:
  - name: Acme
    slug: acme
    branding: { primary_color: "#0055AA" }
    applications:
      - name: Portal
        slug: portal
        clients:
          - client_name: Portal web
            client_type: confidential
            client_id: acme-portal-web
            redirect_uris: [https://portal.acme.test/callback]
            secret: { label: provisioned, value: "${SECRET}" }
          - client_name: Worker
            client_type: confidential
            grant_types: [client_credentials]
    users:
      - email: ops@acme.test
  - name: Beta
    slug: beta
    applications:
      - name: Portal
        slug: portal
        clients:
          - client_name: Beta SPA
            client_type: public
            application_type: spa
            redirect_uris: [http://localhost:5173/callback]
`,
);

interface ProvisionJson {
  dryRun: boolean;
  created: number;
  updated: number;
  skipped: number;
  clients: Array<{ organizationSlug: string; applicationSlug: string; clientName: string; clientId: string | null; clientSecret?: string }>;
  items: Array<{ action: string; type: string; key: string; path: string; organizationSlug?: string }>;
}

beforeAll(async () => {
  const migrated = await cli(['migrate', 'up']);
  expect(migrated.status, migrated.stderr).toBe(0);
});
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

// Each invocation starts tsx and opens PGlite (a second or two): allow for a loaded machine.
describe('porta provision and porta client secret (direct mode: the Admin API in-process, embedded database)', { timeout: 180_000 }, () => {
  let workerClientId = '';

  it('rejects an invalid file with every problem and its path, exit 2, before touching the database', async () => {
    const bad = await cli(['provision', '-f', '-'], JSON.stringify({ organizations: [{ name: 'X', slug: 'ok-org', users: [{ email: 'u@x.test', password: 'long enough password' }], applications: [{ name: 'A', slug: 'app-a', roles: [] }] }] }));
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('porta: The provisioning file has 2 problem(s); nothing was changed.');
    expect(bad.stderr).toContain('  organizations[0].applications[0].roles: "roles" is not supported yet');
    expect(bad.stderr).toContain('  organizations[0].users[0].password: passwords are accepted only with "allow_passwords: true"');
  });

  it('provisions a YAML file with --json, then reports everything unchanged when the same file comes again on stdin', async () => {
    const first = await cli(['provision', '-f', yamlFile, '--json']);
    expect(first.status, first.stderr).toBe(0);
    const body = JSON.parse(first.stdout) as ProvisionJson;
    expect(body).toMatchObject({ dryRun: false, created: 7, updated: 0, skipped: 0 });
    expect(body.items.map((i) => [i.action, i.type])).toEqual([
      ['created', 'organization'], ['created', 'organization'], ['created', 'application'],
      ['created', 'client'], ['created', 'client'], ['created', 'client'], ['created', 'user'],
    ]);
    expect(body.items.map((i) => i.path)).toEqual([
      'organizations[0]', 'organizations[1]', 'organizations[0].applications[0]', 'organizations[0].applications[0].clients[0]',
      'organizations[0].applications[0].clients[1]', 'organizations[1].applications[0].clients[0]', 'organizations[0].users[0]',
    ]);
    expect(body.items[3]).toMatchObject({ key: 'acme-portal-web', organizationSlug: 'acme' });
    const [web, worker, spa] = body.clients;
    expect(web).toEqual({ organizationSlug: 'acme', applicationSlug: 'portal', clientName: 'Portal web', clientId: 'acme-portal-web', clientSecret: SECRET });
    expect(worker?.clientSecret).toMatch(/^[\w-]{64}$/);
    expect(spa).toEqual({ organizationSlug: 'beta', applicationSlug: 'portal', clientName: 'Beta SPA', clientId: expect.stringMatching(/^[\w-]{43}$/) });
    workerClientId = worker!.clientId!;

    const again = await cli(['provision', '-f', '-', '--json'], fs.readFileSync(yamlFile, 'utf8'));
    expect(again.status, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as ProvisionJson;
    expect(second).toMatchObject({ created: 0, updated: 0, skipped: 7 });
    expect(second.clients.map((c) => [c.clientId, c.clientSecret])).toEqual([
      ['acme-portal-web', SECRET], [workerClientId, undefined], [spa!.clientId, undefined],
    ]);
  });

  it('prints a readable summary table for a dry run, of a merge or an overwrite', async () => {
    const overwrite = await cli(['provision', '-f', yamlFile, '--mode', 'overwrite', '--dry-run']);
    expect(overwrite.status, overwrite.stderr).toBe(0);
    expect(overwrite.stdout).toMatch(/^Dry run \(overwrite\): would create 0, update \d+, keep \d+\. Nothing was changed\.\n/);
    const dry = await cli(['provision', '-f', yamlFile, '--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run \(merge\): would create 0, update 0, keep 7\. Nothing was changed\.\n\nACTION\s+TYPE\s+KEY\s+NAME\s+CHANGES\n/);
    expect(dry.stdout).toMatch(/\nkeep\s+client\s+acme\/acme-portal-web\s+Portal web\s+exists, kept\n/);
    expect(dry.stdout).toMatch(/\nORGANIZATION\s+APPLICATION\s+NAME\s+CLIENT_ID\s+SECRET\nacme\s+portal\s+Portal web\s+acme-portal-web\s+e2e-provisioned-secret/);
  });

  it('reports a rejected import at its place in the file, exit 1, nothing changed', async () => {
    const taken = JSON.stringify({
      organizations: [{ name: 'Gamma', slug: 'gamma', applications: [{ name: 'Portal', slug: 'portal', clients: [{ client_name: 'Copy', client_type: 'public', application_type: 'spa', client_id: 'acme-portal-web', redirect_uris: ['http://localhost:5173/callback'] }] }] }],
    });
    const refused = await cli(['provision', '-f', '-'], taken);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^porta: organizations\[0\]\.applications\[0\]\.clients\[0\]: .*nothing was changed\.\n {2}organizations\[0\]\.applications\[0\]\.clients\[0\]: client_id "acme-portal-web" belongs to a client of another organization or application\.\n$/);

    const json = await cli(['provision', '-f', '-', '--json'], taken);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: 'import_failed', details: [{ path: 'organizations[0].applications[0].clients[0]', type: 'client', error: 'client_id_taken' }] });
    const orgs = await cli(['org', 'list', '--json']);
    expect((JSON.parse(orgs.stdout) as { data: Array<{ slug: string }> }).data.map((o) => o.slug)).not.toContain('gamma');
  });

  it('generates, lists and revokes client secrets by client_id, in any organization', async () => {
    const generated = await cli(['client', 'secret', 'generate', workerClientId, '--label', 'rotation', '--json']);
    expect(generated.status, generated.stderr).toBe(0);
    const { data: secret, warning } = JSON.parse(generated.stdout) as { data: { id: string; plaintext: string; label: string; status: string }; warning: string };
    expect(secret).toMatchObject({ label: 'rotation', status: 'active', plaintext: expect.stringMatching(/^[\w-]{64}$/) });
    expect(warning).toContain('not be shown again');

    const listed = await cli(['client', 'secret', 'list', workerClientId, '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    const secrets = (JSON.parse(listed.stdout) as { data: Array<{ id: string; label: string | null; status: string }> }).data;
    expect(secrets.map((s) => [s.label, s.status])).toEqual([['rotation', 'active'], [null, 'active']]);
    expect(listed.stdout).not.toContain(secret.plaintext);
    const old = secrets[1]!;

    const revoked = await cli(['client', 'secret', 'revoke', workerClientId, old.id, '--force']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`Revoked secret ${old.id} of client ${workerClientId}.\n`);

    const table = await cli(['client', 'secret', 'list', workerClientId]);
    expect(table.stdout).toMatch(/^ID\s+LABEL\s+STATUS\s+CREATED_AT\s+EXPIRES_AT\s+LAST_USED_AT\s+REVOKED_AT\n/);
    expect(table.stdout).toMatch(new RegExp(`\\n${old.id}\\s+revoked\\s+`));

    const human = await cli(['client', 'secret', 'generate', 'acme-portal-web']);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Generated secret [0-9a-f-]{36} for client acme-portal-web\.\n\n {2}[\w-]{64}\n\nThis secret is shown once — store it now\./);

    const missing = await cli(['client', 'secret', 'list', 'no-such-client', '--json']);
    expect(missing.status).toBe(5);
    expect(JSON.parse(missing.stderr)).toEqual({ error: 'not_found', message: 'Client not found.' });
  });
});
