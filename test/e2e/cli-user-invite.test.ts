import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPorta } from '../support/cli.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-invite-'));

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
  delete e.DATABASE_URL;
  delete e.REDIS_URL;
  delete e.PORTA_SERVER;
  return e;
}
const cli = (args: string[], input = '') => runPorta(args, { env: env(), input });

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** `porta user invite` (spec 30 §5) through the Admin API served in-process. */
describe('porta user invite', { timeout: 120_000 }, () => {
  it('invites, names roles by slug, and reports a re-invitation', async () => {
    const manifest = JSON.stringify({ organizations: [{ name: 'Invite Co', slug: 'invite-co', applications: [{ name: 'Crm', slug: 'crm' }] }] });
    expect((await cli(['provision', '-f', '-', '--json', '--direct'], manifest)).status).toBe(0);
    const role = await cli(['app', 'role', 'create', 'crm', '--name', 'Editor', '--slug', 'editor', '--json', '--direct']);
    expect(role.status, role.stderr).toBe(0);

    const first = await cli(['user', 'invite', '--org', 'invite-co', '--email', 'new@example.com', '--given-name', 'Nia', '--message', 'Hi!', '--role', 'crm:editor', '--json', '--direct']);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).data).toMatchObject({ email: 'new@example.com', created: true, invitationSent: true });
    const again = await cli(['user', 'invite', '--org', 'invite-co', '--email', 'new@example.com', '--json', '--direct']);
    expect(JSON.parse(again.stdout).data).toMatchObject({ created: false });

    const invitedByFile = JSON.stringify({ organizations: [{ name: 'Invite Co', slug: 'invite-co', users: [{ email: 'bob@example.com', given_name: 'Bob', invite: true, invite_message: 'Hello' }] }] });
    const provisioned = await cli(['provision', '-f', '-', '--json', '--direct'], invitedByFile);
    expect(provisioned.status, provisioned.stderr).toBe(0);
    const audit = await cli(['audit', 'list', '--json', '--direct', '--event', 'user.invited']);
    const invited = (JSON.parse(audit.stdout) as { data: Array<{ metadata: Record<string, unknown> }> }).data;
    expect(invited).toHaveLength(3);
    expect(invited.map((e) => e.metadata.hasPersonalMessage)).toContain(true);

    const unknown = await cli(['user', 'invite', '--org', 'invite-co', '--email', 'x@example.com', '--role', 'crm:nope', '--direct']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('no role nope');
  });

  it('--preview prints the e-mail (subject, then the text part; --json the API body) and stores nothing', async () => {
    const args = ['user', 'invite', '--org', 'invite-co', '--email', 'preview@example.com', '--given-name', 'Pia', '--message', 'Hi <there>', '--preview', '--direct'];
    const human = await cli(args);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Subject: .+ invited you to Invite Co\n\n/);
    expect(human.stdout).toContain('Hello Pia');
    expect(human.stdout).toContain('Hi <there>');
    expect(human.stdout).toMatch(/\/invite-co\/auth\/accept-invite\/preview\n/);

    const json = await cli([...args, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const { data } = JSON.parse(json.stdout) as { data: { subject: string; html: string; text: string } };
    expect(human.stdout).toBe(`Subject: ${data.subject}\n\n${data.text}`);
    expect(data.html).toContain('Hi &lt;there&gt;');
    expect(data.html).not.toContain('<there>');

    const users = await cli(['user', 'list', '--org', 'invite-co', '--search', 'preview@', '--json', '--direct']);
    expect(JSON.parse(users.stdout)).toMatchObject({ total: 0 });
    const audit = await cli(['audit', 'list', '--json', '--direct', '--event', 'user.invited']);
    expect((JSON.parse(audit.stdout) as { data: unknown[] }).data).toHaveLength(3);
  });
});
