import { onEachDatabase } from '../support/databases.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type Kv } from '../../src/platform/kv/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { AppError } from '../../src/platform/errors.js';
import { createOrganizationService, type OrganizationService } from '../../src/organizations/index.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';
import { systemActor } from '../../src/actors/index.js';

type Open = () => Promise<{ db: Db; dispose(): Promise<void> }>;

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const token = () => randomBytes(4).toString('hex');

const sys = systemActor();

function organizationSuite(open: Open) {
  let db: Db;
  let dispose: () => Promise<void>;
  let kv: Kv;
  let audit: AuditService;
  let orgs: OrganizationService;
  let other: OrganizationService;
  const clock = createManualClock();

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    const log = createLog({ env: 'test', level: 'silent' });
    kv = createMemoryKv({ clock });
    audit = createAuditService({ db, clock, log, retentionDays: async () => 90 });
    orgs = createOrganizationService({ db, kv, clock, log, audit });
    other = createOrganizationService({ db, kv, clock, log, audit });
  });
  afterAll(async () => {
    await dispose?.();
  });

  describe('create', () => {
    it('derives the slug from the name and fills the defaults', async () => {
      const t = token();
      const org = await orgs.create(sys, { name: `Acme Corp ${t}` });
      expect(org).toMatchObject({
        name: `Acme Corp ${t}`,
        slug: `acme-corp-${t}`,
        status: 'active',
        isSuperAdmin: false,
        defaultLocale: 'en',
        defaultLoginMethods: ['password', 'magic_link'],
        twoFactorPolicy: 'optional',
        branding: { logoUrl: null, faviconUrl: null, primaryColor: null, companyName: null, customCss: null },
      });
      expect(org.createdAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
      expect(org.updatedAt).toMatch(/Z$/);
    });

    it('appends -2, -3 when the derived slug is taken', async () => {
      const name = `Dup Name ${token()}`;
      const slugs = [];
      for (let i = 0; i < 3; i++) slugs.push((await orgs.create(sys, { name })).slug);
      const base = slugs[0];
      expect(slugs).toEqual([base, `${base}-2`, `${base}-3`]);
    });

    it('steps over a reserved or too-short derived slug', async () => {
      const admin = await orgs.create(sys, { name: 'Admin' });
      expect(admin.slug).toMatch(/^admin-\d+$/);
      expect((await orgs.create(sys, { name: 'Q' })).slug).toMatch(/^q-\d+$/);
    });

    it('takes an explicit slug and refuses a duplicate with organization_slug_taken', async () => {
      const slug = `explicit-${token()}`;
      expect((await orgs.create(sys, { name: 'Explicit', slug })).slug).toBe(slug);
      const err = await errorOf(orgs.create(sys, { name: 'Again', slug }));
      expect([err.kind, err.code]).toEqual(['conflict', 'organization_slug_taken']);
    });

    it('refuses badly formed slugs with invalid_slug and reserved ones with slug_reserved', async () => {
      for (const slug of ['ab', '-abc', 'abc-', 'Upper', 'has space', 'x'.repeat(101)]) {
        const err = await errorOf(orgs.create(sys, { name: 'Bad', slug }));
        expect([err.kind, err.code], slug).toEqual(['invalid', 'invalid_slug']);
      }
      for (const slug of ['admin', 'api', 'jwks', 'interaction']) {
        const err = await errorOf(orgs.create(sys, { name: 'Reserved', slug }));
        expect([err.kind, err.code], slug).toEqual(['invalid', 'slug_reserved']);
      }
    });

    it('validates the other fields with validation_failed naming the path', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(256) }, 'name'],
        [{ name: 'N', defaultLoginMethods: [] }, 'defaultLoginMethods'],
        [{ name: 'N', defaultLoginMethods: ['password', 'sso'] }, 'defaultLoginMethods'],
        [{ name: 'N', defaultLoginMethods: ['passkey', 'fido'] }, 'defaultLoginMethods'],
        [{ name: 'N', defaultLocale: 'not a locale' }, 'defaultLocale'],
        [{ name: 'N', defaultLocale: 'en-US-x-privateuse' }, 'defaultLocale'],
        [{ name: 'N', twoFactorPolicy: 'always' }, 'twoFactorPolicy'],
        [{ name: 'N', branding: { primaryColor: 'red' } }, 'branding.primaryColor'],
        [{ name: 'N', branding: { customCss: 'body{}</style><script>' } }, 'branding.customCss'],
        [{ name: 'N', branding: { customCss: 'a'.repeat(10_001) } }, 'branding.customCss'],
        [{ name: 'N', branding: { logoUrl: 'http://example.com/logo.png' } }, 'branding.logoUrl'],
        [{ name: 'N', branding: { faviconUrl: 'javascript:alert(1)' } }, 'branding.faviconUrl'],
        [{ name: 'N', unknownField: 1 }, ''],
      ];
      for (const [input, path] of cases) {
        const err = await errorOf(orgs.create(sys, input as never));
        expect([err.kind, err.code], JSON.stringify(input).slice(0, 80)).toEqual(['invalid', 'validation_failed']);
        expect(err.details, path).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
      const reserved = await errorOf(orgs.create(sys, { name: 'N', defaultLoginMethods: ['sso'] }));
      expect(reserved.message).toContain('not available');
      // Spec 70 §1: `passkey` is no longer reserved.
      expect((await orgs.create(sys, { name: 'Passkeys only', defaultLoginMethods: ['passkey'] })).defaultLoginMethods).toEqual(['passkey']);
    });

    it('stores valid branding and options', async () => {
      const org = await orgs.create(sys, {
        name: `Branded ${token()}`,
        defaultLocale: 'pt-BR',
        defaultLoginMethods: ['magic_link'],
        twoFactorPolicy: 'required_totp',
        branding: {
          logoUrl: 'https://cdn.example.com/logo.png',
          faviconUrl: 'https://cdn.example.com/favicon.ico',
          primaryColor: '#1A2b3C',
          companyName: 'Branded Inc.',
          customCss: '.btn { color: red; }',
        },
      });
      expect(org).toMatchObject({
        defaultLocale: 'pt-BR',
        defaultLoginMethods: ['magic_link'],
        twoFactorPolicy: 'required_totp',
        branding: {
          logoUrl: 'https://cdn.example.com/logo.png',
          faviconUrl: 'https://cdn.example.com/favicon.ico',
          primaryColor: '#1A2b3C',
          companyName: 'Branded Inc.',
          customCss: '.btn { color: red; }',
        },
      });
    });
  });

  describe('lookups', () => {
    it('finds by id, slug or either, and throws organization_not_found from get*', async () => {
      const org = await orgs.create(sys, { name: `Lookup ${token()}` });
      expect(await orgs.findById(org.id)).toEqual(org);
      expect(await orgs.findBySlug(org.slug)).toEqual(org);
      expect(await orgs.findByIdOrSlug(org.id)).toEqual(org);
      expect(await orgs.findByIdOrSlug(org.slug)).toEqual(org);
      expect(await orgs.getById(org.id)).toEqual(org);
      expect(await orgs.getBySlug(org.slug)).toEqual(org);
      expect(await orgs.findById('00000000-0000-4000-8000-000000000000')).toBeNull();
      expect(await orgs.findById('not-a-uuid')).toBeNull();
      expect(await orgs.findBySlug('no-such-org-here')).toBeNull();
      expect(await orgs.findBySlug('Weird Slug/../')).toBeNull();
      const err = await errorOf(orgs.getById('00000000-0000-4000-8000-000000000000'));
      expect([err.kind, err.code]).toEqual(['not_found', 'organization_not_found']);
      expect((await errorOf(orgs.getBySlug('no-such-org-here'))).code).toBe('organization_not_found');
    });

    it('returns the seeded super-admin organization', async () => {
      const admin = await orgs.getSuperAdmin();
      expect(admin).toMatchObject({ slug: 'porta-admin', name: 'Porta Admin', isSuperAdmin: true, status: 'active' });
      expect(admin.branding.companyName).toBe('Porta');
    });

    it('reports slug availability with a reason', async () => {
      const org = await orgs.create(sys, { name: `Avail ${token()}` });
      expect(await orgs.checkSlug(org.slug)).toEqual({ slug: org.slug, isValid: false, reason: 'taken' });
      expect(await orgs.checkSlug('ab')).toEqual({ slug: 'ab', isValid: false, reason: 'format' });
      expect(await orgs.checkSlug('admin')).toEqual({ slug: 'admin', isValid: false, reason: 'reserved' });
      expect(await orgs.checkSlug(`free-${token()}`)).toMatchObject({ isValid: true });
    });
  });

  describe('list', () => {
    let tag: string;
    beforeAll(async () => {
      tag = `lst${token()}`;
      for (const name of ['Delta', 'Alpha', 'Charlie', 'Bravo', 'Echo']) {
        await orgs.create(sys, { name: `${name} ${tag}` });
      }
      const charlie = await orgs.getBySlug(`charlie-${tag}`);
      await orgs.suspend(sys, charlie.id);
    });

    it('searches name and slug, pages and counts', async () => {
      const first = await orgs.list({ search: tag, pageSize: 2, sort: 'name', order: 'asc' });
      expect(first).toMatchObject({ total: 5, page: 1, pageSize: 2, totalPages: 3 });
      expect(first.data.map((o) => o.name)).toEqual([`Alpha ${tag}`, `Bravo ${tag}`]);
      const last = await orgs.list({ search: tag, pageSize: 2, page: 3, sort: 'name', order: 'asc' });
      expect(last.data.map((o) => o.name)).toEqual([`Echo ${tag}`]);
      const beyond = await orgs.list({ search: tag, pageSize: 2, page: 4 });
      expect(beyond).toMatchObject({ data: [], total: 5, totalPages: 3 });
      expect((await orgs.list({ search: `bravo-${tag}` })).data.map((o) => o.slug)).toEqual([`bravo-${tag}`]);
      expect((await orgs.list({ search: tag.toUpperCase() })).total).toBe(5);
    });

    it('treats LIKE wildcards in the search literally', async () => {
      expect((await orgs.list({ search: '%' })).total).toBe(0);
      expect((await orgs.list({ search: '_' })).total).toBe(0);
    });

    it('sorts by an allowed column in either direction', async () => {
      const desc = await orgs.list({ search: tag, sort: 'slug', order: 'desc' });
      expect(desc.data.map((o) => o.slug.split('-')[0])).toEqual(['echo', 'delta', 'charlie', 'bravo', 'alpha']);
      const byCreation = await orgs.list({ search: tag, sort: 'created_at', order: 'asc' });
      expect(byCreation.data).toHaveLength(5);
      const defaults = await orgs.list();
      expect(defaults).toMatchObject({ page: 1, pageSize: 20 });
    });

    it('filters by status', async () => {
      const suspended = await orgs.list({ search: tag, status: 'suspended' });
      expect(suspended.data.map((o) => o.slug)).toEqual([`charlie-${tag}`]);
      expect((await orgs.list({ search: tag, status: 'active' })).total).toBe(4);
    });

    it('rejects bad paging and sort input', async () => {
      for (const query of [{ pageSize: 101 }, { pageSize: 0 }, { page: 0 }, { sort: 'status' }, { order: 'up' }, { status: 'gone' }]) {
        const err = await errorOf(orgs.list(query as never));
        expect(err.code, JSON.stringify(query)).toBe('validation_failed');
      }
      expect((await orgs.list({ page: '2' as never, pageSize: '1' as never })).pageSize).toBe(1);
    });
  });

  describe('update', () => {
    it('changes settings and the slug under the same rules', async () => {
      const org = await orgs.create(sys, { name: `Upd ${token()}` });
      const newSlug = `renamed-${token()}`;
      const updated = await orgs.update(sys, org.id, {
        name: 'Renamed',
        slug: newSlug,
        defaultLocale: 'de',
        defaultLoginMethods: ['password'],
        twoFactorPolicy: 'required_any',
      });
      expect(updated).toMatchObject({
        id: org.id,
        name: 'Renamed',
        slug: newSlug,
        defaultLocale: 'de',
        defaultLoginMethods: ['password'],
        twoFactorPolicy: 'required_any',
      });
      expect(await orgs.findBySlug(org.slug)).toBeNull();
      expect((await errorOf(orgs.update(sys, org.id, { slug: 'login' }))).code).toBe('slug_reserved');
      expect((await errorOf(orgs.update(sys, org.id, { slug: 'x' }))).code).toBe('invalid_slug');
      expect((await errorOf(orgs.update(sys, org.id, { slug: 'porta-admin' }))).code).toBe('organization_slug_taken');
      expect((await errorOf(orgs.update(sys, org.id, { defaultLoginMethods: [] }))).code).toBe('validation_failed');
      expect(await orgs.update(sys, org.id, {})).toMatchObject({ slug: newSlug });
      const missing = await errorOf(orgs.update(sys, '00000000-0000-4000-8000-000000000000', { name: 'X' }));
      expect(missing.code).toBe('organization_not_found');
    });

    it('sets and clears branding fields, leaving absent ones alone', async () => {
      const org = await orgs.create(sys, { name: `Brand ${token()}`, branding: { companyName: 'Old Co', primaryColor: '#000000' } });
      const set = await orgs.updateBranding(sys, org.id, { logoUrl: 'https://x.example/logo.svg', primaryColor: '#FFFFFF' });
      expect(set.branding).toEqual({
        logoUrl: 'https://x.example/logo.svg',
        faviconUrl: null,
        primaryColor: '#FFFFFF',
        companyName: 'Old Co',
        customCss: null,
      });
      const cleared = await orgs.updateBranding(sys, org.id, { companyName: null, logoUrl: null });
      expect(cleared.branding).toMatchObject({ logoUrl: null, companyName: null, primaryColor: '#FFFFFF' });
      expect((await errorOf(orgs.updateBranding(sys, org.id, { customCss: 'x<y' }))).code).toBe('validation_failed');
      const viaUpdate = await orgs.update(sys, org.id, { branding: { companyName: 'New Co' } });
      expect(viaUpdate.branding.companyName).toBe('New Co');
    });
  });

  describe('status transitions', () => {
    it('moves through suspend, activate, archive and restore, refusing the state already held', async () => {
      const org = await orgs.create(sys, { name: `Trans ${token()}` });
      const suspended = await orgs.suspend(sys, org.id);
      expect(suspended).toMatchObject({ previousStatus: 'active', organization: { status: 'suspended' } });
      const again = await errorOf(orgs.suspend(sys, org.id));
      expect([again.kind, again.code]).toEqual(['conflict', 'invalid_transition']);
      expect(again.details).toEqual({ from: 'suspended', to: 'suspended' });
      expect((await orgs.activate(sys, org.id)).organization.status).toBe('active');
      expect((await errorOf(orgs.activate(sys, org.id))).code).toBe('invalid_transition');
      expect((await orgs.archive(sys, org.id)).previousStatus).toBe('active');
      expect((await errorOf(orgs.archive(sys, org.id))).code).toBe('invalid_transition');
      expect((await errorOf(orgs.activate(sys, org.id))).code).toBe('invalid_transition');
      expect((await errorOf(orgs.suspend(sys, org.id))).code).toBe('invalid_transition');
      expect((await orgs.restore(sys, org.id)).organization.status).toBe('active');
      expect((await errorOf(orgs.restore(sys, org.id))).code).toBe('invalid_transition');
      await orgs.suspend(sys, org.id);
      expect((await orgs.archive(sys, org.id)).previousStatus).toBe('suspended');
    });

    it('never suspends or archives the super-admin organization', async () => {
      const admin = await orgs.getSuperAdmin();
      for (const action of [orgs.suspend, orgs.archive, orgs.restore]) {
        const err = await errorOf(action(sys, admin.id));
        expect([err.kind, err.code]).toEqual(['forbidden', 'super_admin_protected']);
      }
      expect((await orgs.getById(admin.id)).status).toBe('active');
    });

    it('answers organization_not_found for unknown ids', async () => {
      expect((await errorOf(orgs.suspend(sys, '00000000-0000-4000-8000-000000000000'))).code).toBe('organization_not_found');
      expect((await errorOf(orgs.archive(sys, 'nope'))).code).toBe('organization_not_found');
    });
  });

  describe('cache', () => {
    it('serves reads from the shared cache', async () => {
      const org = await orgs.create(sys, { name: `Cached ${token()}` });
      expect((await other.findBySlug(org.slug))?.name).toBe(org.name);
      expect(await kv.get(`cache:org:slug:${org.slug}`)).not.toBeNull();
      await db.query('UPDATE organizations SET name = $2 WHERE id = $1', [org.id, 'Changed behind the back']);
      expect((await other.findBySlug(org.slug))?.name).toBe(org.name);
    });

    it('shows a write to the writing instance at once, and to another within a second', async () => {
      const org = await orgs.create(sys, { name: `Shared ${token()}` });
      await other.findBySlug(org.slug);
      await other.findById(org.id);
      await orgs.findBySlug(org.slug);
      // Each instance keeps its own copy and re-reads the shared version counter at most once a second.
      const aSecondLater = () => clock.advance(1_000);

      await orgs.suspend(sys, org.id);
      expect((await orgs.findBySlug(org.slug))?.status).toBe('suspended');
      aSecondLater();
      expect((await other.findBySlug(org.slug))?.status).toBe('suspended');
      expect((await other.findById(org.id))?.status).toBe('suspended');

      await orgs.updateBranding(sys, org.id, { primaryColor: '#123456' });
      expect((await other.findById(org.id))?.branding.primaryColor).toBe(null);
      aSecondLater();
      expect((await other.findById(org.id))?.branding.primaryColor).toBe('#123456');

      const newSlug = `moved-${token()}`;
      await orgs.update(sys, org.id, { slug: newSlug, name: 'Moved' });
      aSecondLater();
      expect(await other.findBySlug(org.slug)).toBeNull();
      expect((await other.findBySlug(newSlug))?.name).toBe('Moved');
      expect((await other.findById(org.id))?.slug).toBe(newSlug);
    });

    it('does not cache misses', async () => {
      const slug = `later-${token()}`;
      expect(await other.findBySlug(slug)).toBeNull();
      await orgs.create(sys, { name: 'Later', slug });
      expect((await other.findBySlug(slug))?.slug).toBe(slug);
    });
  });
}

onEachDatabase('organizations', organizationSuite);
