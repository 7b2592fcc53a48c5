import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { systemActor } from '../../src/actors/index.js';

/** A manifest of `count` organizations, each with one client of a shared application. */
function manifest(prefix: string, count: number) {
  return {
    version: '1.0',
    organizations: Array.from({ length: count }, (_, i) => ({ name: `Org ${prefix} ${i}`, slug: `${prefix}-${i}` })),
    applications: [{ name: `App ${prefix}`, slug: `app-${prefix}` }],
    clients: Array.from({ length: count }, (_, i) => ({
      organization_slug: `${prefix}-${i}`, application_slug: `app-${prefix}`, client_name: 'Service', client_type: 'confidential',
      grant_types: ['client_credentials'], scope: 'openid',
    })),
  };
}

/** POST with a chunked body (no Content-Length), as fetch cannot send one. */
function postChunked(url: string, token: string, body: string): Promise<{ status: number; body: { error?: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { error?: string } }));
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 16_384) req.write(body.slice(i, i + 16_384));
    req.end();
  });
}

describe('admin API: an import larger than the 100 KB body limit (issue 13: many organizations from one file)', () => {
  let s: AdminServer;
  let admin: AdminClient;

  beforeAll(async () => {
    s = await startAdminServer();
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    admin = await s.clientWithRoles(['porta-super-admin']);
  });
  afterAll(() => s?.stop());

  it('accepts a manifest past 100 KB with a declared length, as one transaction with every audit entry', async () => {
    const body = { mode: 'merge', manifest: manifest('big', 600) };
    expect(JSON.stringify(body).length).toBeGreaterThan(100 * 1024);
    const res = await admin.post('/import', body);
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    expect(res.body.data.created.filter((c: { type: string }) => c.type === 'organization')).toHaveLength(600);
    expect(res.body.data.credentials.every((c: { secretPlaintext?: string }) => typeof c.secretPlaintext === 'string')).toBe(true);
    const audited = await s.porta.db.one<{ n: string }>(
      "SELECT count(*) AS n FROM audit_log WHERE event_type = 'organization.created' AND metadata->>'slug' LIKE 'big-%'",
    );
    expect(Number(audited.n)).toBe(600);
  });

  it('keeps the 100 KB limit for a chunked import body, for anyone unauthenticated, and for every other route', async () => {
    const text = JSON.stringify({ mode: 'dry-run', manifest: manifest('chunked', 600) });
    expect((await postChunked(`${s.url}/api/admin/import`, admin.token!, text)).status).toBe(413);
    const anonymous = await fetch(`${s.url}/api/admin/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    expect(anonymous.status).toBe(401);
    const elsewhere = await admin.post('/organizations', { name: 'x'.repeat(120 * 1024) });
    expect([elsewhere.status, elsewhere.body.error]).toEqual([413, 'payload_too_large']);
  });
});
