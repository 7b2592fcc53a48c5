import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { HttpBrowser } from '../support/http-browser.js';
import { createTenant, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
const ICO = Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0]);
const SAFE_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><style>rect{fill:#123456}</style><rect width="10" height="10"/></svg>';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('admin API: branding assets (spec 20 §5.2) and their public route', () => {
  let s: AdminServer;
  let t: Tenant;
  let orgAdmin: AdminClient;
  let auditor: AdminClient;

  beforeAll(async () => {
    s = await startAdminServer();
    // More writes than one window of the admin write limit allows (spec 50 §7).
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    t = await createTenant(s.porta.services, 'brand-co');
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
  });
  afterAll(() => s?.stop());

  /** A raw (non-JSON) upload: the admin test client JSON-encodes bodies. */
  async function putRaw(client: AdminClient, orgRef: string, type: string, data: Buffer | string, contentType: string) {
    const res = await fetch(`${s.url}/api/admin/organizations/${orgRef}/branding/${type}`, {
      method: 'PUT',
      headers: { ...(client.token ? { Authorization: `Bearer ${client.token}` } : {}), 'Content-Type': contentType },
      body: data,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  }

  const publicAsset = (slug: string, type: string, headers: Record<string, string> = {}) => fetch(`${s.url}/${slug}/branding/${type}`, { headers });

  async function loginPage(slug: string, clientId: string): Promise<string> {
    const url = new URL(`${s.url}/${slug}/auth/authorize`);
    url.search = new URLSearchParams({
      client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString();
    const page = await new HttpBrowser(s.url).follow(url.toString());
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
    // Templates escape "=" in attribute values; the browser reads it back as "=".
    return page.body.replaceAll('&#x3D;', '=');
  }

  it('uploads a raw PNG, lists it, serves it to admins and records the upload', async () => {
    const res = await putRaw(orgAdmin, t.orgId, 'logo', PNG, 'image/png');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ organizationId: t.orgId, assetType: 'logo', contentType: 'image/png', fileSize: PNG.length });
    expect(Object.keys(res.body.data).sort()).toEqual(['assetType', 'contentType', 'createdAt', 'fileSize', 'id', 'organizationId', 'updatedAt']);

    const list = await auditor.get(`/organizations/${t.slug}/branding`);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([res.body.data]);

    const binary = await fetch(`${s.url}/api/admin/organizations/${t.orgId}/branding/logo`, { headers: { Authorization: `Bearer ${auditor.token}` } });
    expect(binary.status).toBe(200);
    expect(binary.headers.get('content-type')).toBe('image/png');
    expect(binary.headers.get('etag')).toBe(`"${sha256(PNG)}"`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(PNG);

    const history = await s.porta.services.audit.list({ targetType: 'organization', targetId: t.orgId, event: 'organization.branding_asset_uploaded' });
    expect(history.data).toHaveLength(1);
    expect(history.data[0]).toMatchObject({ actorId: orgAdmin.userId, actorType: 'admin', source: 'api', organizationId: t.orgId });
    expect(history.data[0]!.metadata).toEqual({ assetType: 'logo', contentType: 'image/png', fileSize: PNG.length });
  });

  it('accepts JSON { data: base64, contentType } and replaces an existing asset', async () => {
    const first = await s.superAdmin.put(`/organizations/${t.orgId}/branding/favicon`, { data: ICO.toString('base64'), contentType: 'image/vnd.microsoft.icon' });
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ assetType: 'favicon', contentType: 'image/vnd.microsoft.icon', fileSize: ICO.length });
    const replaced = await s.superAdmin.put(`/organizations/${t.slug}/branding/favicon`, { data: PNG.toString('base64'), contentType: 'image/png' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data).toMatchObject({ id: first.body.data.id, contentType: 'image/png', fileSize: PNG.length });
    expect((await s.superAdmin.get(`/organizations/${t.orgId}/branding`)).body.data.map((a: { assetType: string }) => a.assetType)).toEqual(['favicon', 'logo']);
  });

  it('refuses content that is not the declared type, and unsafe SVG (400)', async () => {
    const mismatch = await putRaw(orgAdmin, t.orgId, 'logo', JPEG, 'image/png');
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ error: 'validation_failed', details: [{ reason: 'asset_content_mismatch' }] });
    const viaJson = await s.superAdmin.put(`/organizations/${t.orgId}/branding/logo`, { data: PNG.toString('base64'), contentType: 'image/webp' });
    expect(viaJson.status).toBe(400);
    for (const svg of [
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/p.png"/></svg>',
    ]) {
      const res = await putRaw(orgAdmin, t.orgId, 'logo', svg, 'image/svg+xml');
      expect(res.status, svg).toBe(400);
      expect(res.body.details[0].reason).toBe('unsafe_svg');
    }
    const bad = await s.superAdmin.put(`/organizations/${t.orgId}/branding/logo`, { data: 'not base64!', contentType: 'image/png' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('validation_failed');
    // Nothing was replaced.
    expect((await s.superAdmin.get(`/organizations/${t.orgId}/branding`)).body.data.find((a: { assetType: string }) => a.assetType === 'logo').contentType).toBe('image/png');
  });

  it('refuses other types with 415', async () => {
    for (const [data, type] of [[PNG, 'image/gif'], ['hello', 'text/plain'], [PNG, 'application/octet-stream']] as const) {
      const res = await putRaw(orgAdmin, t.orgId, 'logo', data, type);
      expect(res.status, type).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
    }
    const json = await s.superAdmin.put(`/organizations/${t.orgId}/branding/logo`, { data: PNG.toString('base64'), contentType: 'image/gif' });
    expect(json.status).toBe(415);
  });

  it('takes raw images up to 512 KB and answers 413 beyond, and to JSON beyond 100 KB', async () => {
    const exact = Buffer.concat([PNG, Buffer.alloc(524_288 - PNG.length, 7)]);
    const ok = await putRaw(orgAdmin, t.orgId, 'logo', exact, 'image/png');
    expect(ok.status).toBe(200);
    expect(ok.body.data.fileSize).toBe(524_288);
    const over = await putRaw(orgAdmin, t.orgId, 'logo', Buffer.concat([exact, Buffer.from([0])]), 'image/png');
    expect(over.status).toBe(413);
    expect(over.body.error).toBe('payload_too_large');
    const bigJson = await s.superAdmin.put(`/organizations/${t.orgId}/branding/logo`, { data: exact.subarray(0, 90_000).toString('base64'), contentType: 'image/png' });
    expect(bigJson.status).toBe(413);
    // Only the branding route is raised: the same image elsewhere is over the 100 KB limit.
    const elsewhere = await fetch(`${s.url}/api/admin/organizations/${t.orgId}/branding`, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: exact });
    expect(elsewhere.status).toBe(413);
    expect((await putRaw(orgAdmin, t.orgId, 'logo', PNG, 'image/png')).status).toBe(200);
  });

  it('serves assets publicly with an ETag, 304 on If-None-Match, and a locked-down SVG', async () => {
    const res = await publicAsset(t.slug, 'logo');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag');
    expect(etag).toBe(`"${sha256(PNG)}"`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);

    const cached = await publicAsset(t.slug, 'logo', { 'If-None-Match': etag! });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    expect((await publicAsset(t.slug, 'logo', { 'If-None-Match': '"other"' })).status).toBe(200);

    const other = await createTenant(s.porta.services, 'plain-co');
    expect((await publicAsset(other.slug, 'logo')).status).toBe(404);
    expect((await publicAsset('no-such-org', 'logo')).status).toBe(404);

    expect((await putRaw(orgAdmin, other.orgId, 'logo', SAFE_SVG, 'image/svg+xml')).status).toBe(200);
    const svg = await publicAsset(other.slug, 'logo');
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(svg.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await svg.text()).toBe(SAFE_SVG);
  });

  it('shows uploaded assets on the login page ahead of the URL fields', async () => {
    await s.superAdmin.put(`/organizations/${t.orgId}/branding`, { logoUrl: 'https://cdn.example/logo.png', faviconUrl: 'https://cdn.example/favicon.ico' });
    const page = await loginPage(t.slug, t.spa.clientId);
    const logo = sha256(PNG).slice(0, 12);
    expect(page).toContain(`<img src="/brand-co/branding/logo?v=${logo}"`);
    expect(page).toMatch(/<link rel="icon" href="\/brand-co\/branding\/favicon\?v=[0-9a-f]{12}">/);
    expect(page).not.toContain('cdn.example');
  });

  it('deletes an asset (204, then 404) and the URL fields apply again', async () => {
    const res = await orgAdmin.delete(`/organizations/${t.orgId}/branding/logo`);
    expect(res.status).toBe(204);
    expect((await orgAdmin.delete(`/organizations/${t.orgId}/branding/logo`)).status).toBe(404);
    expect((await s.superAdmin.get(`/organizations/${t.orgId}/branding/logo`)).status).toBe(404);
    expect((await publicAsset(t.slug, 'logo')).status).toBe(404);
    const page = await loginPage(t.slug, t.spa.clientId);
    expect(page).toContain('<img src="https://cdn.example/logo.png"');
    expect(page).toContain('/brand-co/branding/favicon?v=');
    const history = await s.porta.services.audit.list({ targetType: 'organization', targetId: t.orgId, event: 'organization.branding_asset_deleted' });
    expect(history.data).toHaveLength(1);
    expect(history.data[0]).toMatchObject({ actorId: orgAdmin.userId, actorType: 'admin', source: 'api', metadata: { assetType: 'logo' } });
  });

  it('checks authentication, permissions and addressing', async () => {
    const before = (await auditor.get(`/organizations/${t.orgId}/branding`)).body.data;
    const entries = async () => (await s.porta.services.audit.list({ targetType: 'organization', targetId: t.orgId })).total;
    const entriesBefore = await entries();
    expect((await s.anonymous().get(`/organizations/${t.orgId}/branding`)).status).toBe(401);
    expect((await putRaw(s.anonymous(), t.orgId, 'logo', PNG, 'image/png')).status).toBe(401);
    const denied = await putRaw(auditor, t.orgId, 'logo', JPEG, 'image/jpeg');
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:org:update'] } });
    const deleteDenied = await auditor.delete(`/organizations/${t.orgId}/branding/favicon`);
    expect(deleteDenied.status).toBe(403);
    expect(deleteDenied.body.details).toEqual({ missing: ['admin:org:update'] });
    expect((await auditor.get(`/organizations/${t.orgId}/branding`)).body.data).toEqual(before);
    expect(await entries()).toBe(entriesBefore);
    const userAdmin = await s.clientWithRoles(['porta-user-admin']);
    expect((await userAdmin.get(`/organizations/${t.orgId}/branding`)).status).toBe(403);
    expect((await s.superAdmin.get('/organizations/no-such-org/branding')).status).toBe(404);
    expect((await putRaw(orgAdmin, '00000000-0000-4000-8000-000000000000', 'logo', PNG, 'image/png')).status).toBe(404);
    expect((await putRaw(orgAdmin, t.orgId, 'banner', PNG, 'image/png')).status).toBe(404);
    expect((await s.superAdmin.get(`/organizations/${t.orgId}/branding/banner`)).status).toBe(404);
  });

  it('lets only a super admin upload or delete the super-admin organization’s assets', async () => {
    const admin = await s.porta.services.organizations.getSuperAdmin();
    const list = async () => (await auditor.get(`/organizations/${admin.id}/branding`)).body.data;
    expect(await list()).toEqual([]);
    const refused = await putRaw(orgAdmin, admin.id, 'logo', PNG, 'image/png');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('protected_resource');
    expect(await list()).toEqual([]);

    expect((await putRaw(s.superAdmin, admin.slug, 'logo', PNG, 'image/png')).status).toBe(200);
    const kept = await list();
    expect(kept.map((a: { assetType: string }) => a.assetType)).toEqual(['logo']);
    expect((await orgAdmin.delete(`/organizations/${admin.id}/branding/logo`)).body.error).toBe('protected_resource');
    expect(await list()).toEqual(kept);
    expect((await s.superAdmin.delete(`/organizations/${admin.id}/branding/logo`)).status).toBe(204);
    const entries = (await s.porta.services.audit.list({ targetType: 'organization', targetId: admin.id })).data.filter((e) => e.eventType.startsWith('organization.branding_asset_'));
    expect(entries.map((e) => [e.eventType, e.actorId])).toEqual([
      ['organization.branding_asset_deleted', s.superAdminUserId],
      ['organization.branding_asset_uploaded', s.superAdminUserId],
    ]);
  });
});
