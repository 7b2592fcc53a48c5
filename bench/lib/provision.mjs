// Provisions the bench tenant with `porta provision` in direct mode, before the server starts
// (the server's process then owns the embedded database): one organization, one application,
// a confidential web client and `users` users, all with `password`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root } from './porta.mjs';

function porta(args, env, checkout = root) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(checkout, 'bin/porta.mjs'), ...args], { cwd: checkout, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`porta ${args[0]} failed: ${stderr || stdout || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Returns { orgId, appId, slug, clientId, clientSecret, users: [{ id, email }] }. `checkout`: the Porta
 * whose CLI provisions (another checkout for a baseline; default this one).
 */
export async function provisionTenant(env, { slug, redirectUri, password, users = 1, liftLimits = true, checkout = root }) {
  const file = {
    version: '1.0',
    allow_passwords: true,
    organizations: [{
      name: `Bench ${slug}`,
      slug,
      applications: [{
        name: `Bench app ${slug}`,
        slug: `app-${slug}`,
        clients: [{
          client_name: 'Bench web client', client_type: 'confidential', application_type: 'web',
          redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
          scope: 'openid profile email offline_access', require_consent: false,
        }],
      }],
      users: Array.from({ length: users }, (_, i) => ({
        email: `user${i}@bench.example`, password, given_name: 'Bench', family_name: `User ${i}`, email_verified: true,
      })),
    }],
  };
  // Inside the bench's own temporary data dir (mode 0700), removed with it.
  const filePath = path.join(env.PORTA_DATA_DIR, 'bench-tenant.json');
  fs.writeFileSync(filePath, JSON.stringify(file), { mode: 0o600 });
  await porta(['migrate', 'up'], env, checkout);
  const result = JSON.parse(await porta(['provision', '-f', filePath, '--json'], env, checkout));
  fs.rmSync(filePath, { force: true });
  // Every login and token request here comes from the same IP, many at once: the per-IP limits (spec 50 §7,
  // docs/configuration.md) would refuse most of them, so the bench lifts them to their maximum.
  const lifted = [['rate_limit_login_max', '100000'], ['rate_limit_login_ip_failures_max', '100000'], ['rate_limit_token_max', '1000000'], ['rate_limit_introspection_max', '1000000']];
  for (const [key, value] of liftLimits ? lifted : []) {
    await porta(['--direct', 'config', 'set', key, value], env, checkout);
  }
  const idOf = (type) => result.items.find((i) => i.type === type)?.id;
  const [client] = result.clients;
  if (!client?.clientSecret || !idOf('organization') || !idOf('application')) throw new Error(`unexpected provision result: ${JSON.stringify(result)}`);
  return {
    orgId: idOf('organization'),
    appId: idOf('application'),
    slug,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    users: result.items.filter((i) => i.type === 'user').map((i) => ({ id: i.id, email: i.key })),
  };
}
