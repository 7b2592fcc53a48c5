import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { isAppError } from '../../src/platform/errors.js';
import { cliDirectActor } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import { servicesFor } from '../support/domain.js';
import type { UserService } from '../../src/users/index.js';
import type { ClientService } from '../../src/clients/index.js';
import type { OrganizationService } from '../../src/organizations/index.js';
import {
  parseProvisioningText,
  type ProvisioningService,
  type ProvisionMode,
  type ProvisionResult,
} from '../../src/provisioning/index.js';

const SECRET = 'provisioned-secret-0123456789abcdefghijkl';
/** `porta provision` in direct mode. */
const OPERATOR = cliDirectActor('ops');

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(isAppError(err), `expected an AppError, got ${String(err)}`).toBe(true);
  return err as { kind: string; code: string; message: string; details: Array<{ path: string; message: string; error?: string }> };
}

/** What the full file's first run records through the import edge, one entry per object created. */
const IMPORTED_EVENTS = [
  'application.created', 'client.created', 'client.created', 'client.created', 'client.created', 'module.created',
  'organization.created', 'organization.created', 'user.created', 'user.created',
];

const byAction = (r: ProvisionResult, action: string) => r.entries.filter((e) => e.action === action).map((e) => `${e.type}:${e.key}`);

/** A full file for organizations `<p>-acme` and `<p>-beta` sharing application `<p>-portal`. */
function fullFile(p: string) {
  return `
version: "1.0"
allow_passwords: true
organizations:
  - name: Acme ${p}
    slug: ${p}-acme
    default_locale: de
    default_login_methods: [password]
    two_factor_policy: required_totp
    branding:
      primary_color: "#112233"
      company_name: Acme GmbH
      logo_url: https://cdn.acme.test/logo.png
    applications:
      - name: Portal ${p}
        slug: ${p}-portal
        description: Customer portal
        modules: [{ name: Billing }]
        clients:
          - client_name: Portal web
            client_type: confidential
            client_id: ${p}-portal-web
            redirect_uris: [https://portal.acme.test/callback]
            post_logout_redirect_uris: [https://portal.acme.test/]
            grant_types: [authorization_code, refresh_token]
            scope: [openid, profile, email, offline_access]
            require_consent: true
            login_methods: [magic_link]
            secret: { label: provisioned, expires_in: 90d, value: "${SECRET}" }
          - client_name: Portal SPA
            client_type: public
            application_type: spa
            redirect_uris: [http://localhost:5173/callback]
          - client_name: Worker
            client_type: confidential
            grant_types: [client_credentials]
    users:
      - email: alice@${p}.test
        given_name: Alice
        family_name: Liddell
        locale: de
        email_verified: true
        password: "correct horse battery staple"
  - name: Beta ${p}
    slug: ${p}-beta
    applications:
      - name: Portal ${p}
        slug: ${p}-portal
        clients:
          - client_name: Beta web
            client_type: confidential
            redirect_uris: [https://beta.test/cb]
    users:
      - email: alice@${p}.test
        status: inactive
`;
}

function provisioningSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let kv: MemoryKv;
  let clock: ManualClock;
  let svc: Services;
  let provisioning: ProvisioningService;
  let clients: ClientService;
  let users: UserService;
  let organizations: OrganizationService;
  const log = createLog({ env: 'test', level: 'silent' });

  const run = (text: string, mode: ProvisionMode = 'merge', isDryRun = false) =>
    provisioning.apply(OPERATOR, provisioning.validate(parseProvisioningText(text)), { mode, isDryRun });
  const orgId = async (slug: string) => (await db.maybeOne<{ id: string }>('SELECT id FROM organizations WHERE slug = $1', [slug]))?.id;
  /** Every row's update stamp, to prove a run changed nothing. */
  const snapshot = async () =>
    Promise.all(
      ['organizations', 'applications', 'application_modules', 'clients', 'client_secrets', 'users'].map((t) =>
        db.many(`SELECT * FROM ${t} ORDER BY id`),
      ),
    );

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 0, 1));
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log });
    ({ provisioning, clients, organizations, users } = svc);
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  it('creates everything in a full file; an application shared by two organizations is one application', async () => {
    const result = await run(fullFile('full'));
    expect(result).toMatchObject({ mode: 'merge', isDryRun: false });
    expect(byAction(result, 'created')).toEqual([
      'organization:full-acme', 'organization:full-beta', 'application:full-portal', 'module:billing',
      'client:full-portal-web', expect.stringMatching(/^client:[\w-]{43}$/), expect.stringMatching(/^client:[\w-]{43}$/), expect.stringMatching(/^client:[\w-]{43}$/),
      'user:alice@full.test', 'user:alice@full.test',
    ]);
    expect(result.entries.every((e) => typeof e.id === 'string')).toBe(true);

    const acme = await organizations.getBySlug('full-acme');
    expect(acme).toMatchObject({
      name: 'Acme full', defaultLocale: 'de', defaultLoginMethods: ['password'], twoFactorPolicy: 'required_totp',
      branding: { primaryColor: '#112233', companyName: 'Acme GmbH', logoUrl: 'https://cdn.acme.test/logo.png', faviconUrl: null, customCss: null },
    });
    const beta = await organizations.getBySlug('full-beta');
    expect(beta).toMatchObject({ defaultLocale: 'en', defaultLoginMethods: ['password', 'magic_link'], twoFactorPolicy: 'optional' });
    const apps = await db.many<{ id: string }>("SELECT id FROM applications WHERE slug = 'full-portal'");
    expect(apps).toHaveLength(1);

    const [web, spa, worker, betaWeb] = result.credentials;
    expect(result.credentials.map((c) => [c.organizationSlug, c.applicationSlug, c.clientName, c.clientType])).toEqual([
      ['full-acme', 'full-portal', 'Portal web', 'confidential'],
      ['full-acme', 'full-portal', 'Portal SPA', 'public'],
      ['full-acme', 'full-portal', 'Worker', 'confidential'],
      ['full-beta', 'full-portal', 'Beta web', 'confidential'],
    ]);
    expect(web).toMatchObject({ clientId: 'full-portal-web', secretPlaintext: SECRET, secretLabel: 'provisioned', secretExpiresAt: '2026-04-01T00:00:00.000Z' });
    expect(spa?.secretPlaintext).toBeUndefined();
    expect(worker?.secretPlaintext).toMatch(/^[\w-]{64}$/);

    const webClient = await clients.findByClientId(acme.id, 'full-portal-web');
    expect(webClient).toMatchObject({
      applicationId: apps[0]!.id, redirectUris: ['https://portal.acme.test/callback'], postLogoutRedirectUris: ['https://portal.acme.test/'],
      grantTypes: ['authorization_code', 'refresh_token'], scope: 'openid profile email offline_access', requireConsent: true, loginMethods: ['magic_link'],
    });
    // The provisioned value is stored hashed like a generated one and authenticates the client.
    const stored = await db.one<{ secret_hash: string }>('SELECT secret_hash FROM client_secrets WHERE client_id = $1', [webClient!.id]);
    expect(stored.secret_hash).toMatch(/^\$argon2id\$/);
    expect(stored.secret_hash).not.toContain(SECRET);
    expect(await clients.verifySecret(webClient!.id, SECRET)).toBe(true);
    const workerClient = await clients.findByClientId(acme.id, worker!.clientId!);
    expect(await clients.verifySecret(workerClient!.id, worker!.secretPlaintext!)).toBe(true);
    const spaClient = await clients.findByClientId(acme.id, spa!.clientId!);
    expect(spaClient).toMatchObject({ clientType: 'public', applicationType: 'spa', tokenEndpointAuthMethod: 'none' });
    const betaClient = await clients.findByClientId(beta.id, betaWeb!.clientId!);
    expect(betaClient?.applicationId).toBe(apps[0]!.id);

    // Same e-mail in two organizations: two users; the password only where the file gave one.
    const alice = await users.findByEmail(acme.id, 'alice@full.test');
    const betaAlice = await users.findByEmail(beta.id, 'alice@full.test');
    expect(alice).toMatchObject({ givenName: 'Alice', familyName: 'Liddell', locale: 'de', emailVerified: true, hasPassword: true, status: 'active' });
    expect(betaAlice).toMatchObject({ hasPassword: false, status: 'inactive' });
    expect(betaAlice!.id).not.toBe(alice!.id);
    expect((await users.authenticate(acme.id, 'alice@full.test', 'correct horse battery staple')).ok).toBe(true);

    // Each entry is the operator's own use case through the import edge: the actor columns say so
    // (type, name, source `import`); the event and its metadata are those of the single endpoint.
    const imported = (await svc.audit.list({ source: 'import', limit: 100 })).data;
    expect(imported.map((e) => e.eventType).sort()).toEqual(IMPORTED_EVENTS);
    for (const entry of imported) {
      expect(entry).toMatchObject({ actorType: 'cli_direct', actorName: 'ops', actorId: null, source: 'import' });
      expect(Object.keys(entry.metadata)).not.toContain('source');
      expect(Object.keys(entry.metadata)).not.toContain('bulk');
    }
    const { data: completed } = await svc.audit.list({ event: 'import.completed' });
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ actorType: 'cli_direct', source: 'cli-direct', metadata: { mode: 'merge', created: 10, updated: 0, skipped: 0 } });
  });

  it('runs the same file again in merge mode without changing anything or regenerating secrets', async () => {
    const before = await snapshot();
    const again = await run(fullFile('full'));
    expect(byAction(again, 'created')).toEqual([]);
    expect(byAction(again, 'updated')).toEqual([]);
    expect(again.entries).toHaveLength(10);
    expect(again.entries.every((e) => e.action === 'skipped' && e.reason === 'exists')).toBe(true);
    // Only the file's own value is echoed back; nothing new was generated.
    expect(again.credentials.map((c) => c.secretPlaintext)).toEqual([SECRET, undefined, undefined, undefined]);
    expect(again.credentials.every((c) => c.secretId === undefined)).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('reports a dry run without changing anything, and without ids for what it would create', async () => {
    const before = await snapshot();
    const cached = kv.size();
    const dry = await run(fullFile('dry'), 'merge', true);
    expect(dry.isDryRun).toBe(true);
    expect(dry.entries.filter((e) => e.action === 'created')).toHaveLength(10);
    expect(dry.entries.every((e) => e.id === null)).toBe(true);
    expect(dry.credentials.map((c) => [c.clientId, c.secretPlaintext])).toEqual([
      ['dry-portal-web', SECRET], [null, undefined], [null, undefined], [null, undefined],
    ]);
    expect(await orgId('dry-acme')).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    // Nothing the rolled-back run read or wrote reaches the shared cache.
    expect(kv.size()).toBe(cached);
  });

  it('updates existing objects to the file in overwrite mode; a given secret value is added once', async () => {
    const file = `
allow_passwords: true
organizations:
  - name: Acme renamed
    slug: full-acme
    default_login_methods: [password, magic_link]
    branding: { primary_color: "#445566", logo_url: null }
    applications:
      - name: Portal full
        slug: full-portal
        description: Renamed portal
        clients:
          - client_name: Portal web
            client_type: confidential
            client_id: full-portal-web
            redirect_uris: [https://portal.acme.test/callback, https://portal.acme.test/cb2]
            secret: { label: second, value: "another-provisioned-value-0123456789abcdef" }
          - client_name: Worker
            client_type: confidential
            grant_types: [client_credentials]
    users:
      - email: ALICE@full.test
        family_name: Pleasance
        status: inactive
        password: "a brand new password"
`;
    clock.advance(60_000);
    const first = await run(file, 'overwrite');
    expect(first.entries.map((e) => [e.action, e.type, e.changes ?? e.reason])).toEqual([
      ['updated', 'organization', ['name', 'default_login_methods', 'branding.logo_url', 'branding.primary_color']],
      ['updated', 'application', ['description']],
      ['updated', 'client', ['redirect_uris', 'secret']],
      ['skipped', 'client', 'unchanged'],
      ['updated', 'user', ['family_name', 'status', 'password']],
    ]);
    const acme = await organizations.getBySlug('full-acme');
    expect(acme).toMatchObject({ name: 'Acme renamed', defaultLoginMethods: ['password', 'magic_link'], branding: { primaryColor: '#445566', logoUrl: null, companyName: 'Acme GmbH' } });
    const web = (await clients.findByClientId(acme.id, 'full-portal-web'))!;
    expect(web.redirectUris).toEqual(['https://portal.acme.test/callback', 'https://portal.acme.test/cb2']);
    expect(await clients.verifySecret(web.id, SECRET)).toBe(true);
    expect(await clients.verifySecret(web.id, 'another-provisioned-value-0123456789abcdef')).toBe(true);
    expect((await users.findByEmail(acme.id, 'alice@full.test'))).toMatchObject({ familyName: 'Pleasance', status: 'inactive' });

    // Checking whether the value is already there is not a use of the secret (rotation relies on last_used_at).
    clock.advance(10 * 60_000);
    const lastUsed = () => db.many<{ last_used_at: unknown }>('SELECT last_used_at FROM client_secrets WHERE client_id = $1 ORDER BY id', [web.id]);
    // The checks above record their own use in the background: let them land first.
    await vi.waitFor(async () => expect((await lastUsed()).every((r) => r.last_used_at !== null)).toBe(true));
    const usedBefore = await lastUsed();
    const second = await run(file, 'overwrite');
    expect(second.entries.map((e) => [e.type, e.changes ?? e.reason])).toEqual([
      ['organization', 'unchanged'], ['application', 'unchanged'], ['client', 'unchanged'], ['client', 'unchanged'], ['user', ['password']],
    ]);
    const secrets = await clients.listSecrets(acme.id, web.id);
    expect(secrets.map((s) => s.label)).toEqual(['second', 'provisioned']);
    expect(await lastUsed()).toEqual(usedBefore);
  });

  it('lists every problem of an invalid file with its path and changes nothing', async () => {
    const before = await snapshot();
    const input = {
      version: '2.0',
      config: { access_token_ttl: 60 },
      organizations: [
        {
          name: 'Bad', slug: 'Bad Slug', default_login_methods: ['sso'], colour: 'red',
          applications: [
            { name: 'A', slug: 'porta-admin', roles: [{ name: 'r' }], permissions: [], claim_definitions: [] },
            {
              name: 'Portal', slug: 'bad-portal',
              clients: [
                { client_name: 'SPA', client_type: 'public', redirect_uris: ['http://evil.test/cb', 'https://ok.test/#x'], secret: { value: SECRET } },
                { client_name: 'Web', client_type: 'confidential', client_id: 'x', redirect_uris: ['https://ok.test/cb'], grant_types: ['refresh_token'], secret: { value: 'short', expires_at: '2025-01-01T00:00:00Z', expires_in: '1d' } },
                { client_name: 'Web', client_type: 'confidential', redirect_uris: [] },
              ],
            },
          ],
          users: [{ email: 'nope', password: 'secret-password', roles: [], claims: [] }],
        },
        { name: 'porta admin', slug: 'porta-admin' },
        { name: '!!' },
      ],
    };
    const err = await failure(Promise.resolve().then(() => provisioning.validate(input)));
    expect(err).toMatchObject({ kind: 'invalid', code: 'invalid_provisioning_file' });
    expect(err.details.map((d) => d.path)).toEqual([
      'config',
      'organizations[0]',
      'organizations[0].applications[0].claim_definitions',
      'organizations[0].applications[0].permissions',
      'organizations[0].applications[0].roles',
      'organizations[0].applications[0].slug',
      'organizations[0].applications[1].clients[0].redirect_uris[0]',
      'organizations[0].applications[1].clients[0].redirect_uris[1]',
      'organizations[0].applications[1].clients[0].secret',
      'organizations[0].applications[1].clients[1].client_id',
      'organizations[0].applications[1].clients[1].grant_types',
      'organizations[0].applications[1].clients[1].secret.expires_at',
      'organizations[0].applications[1].clients[1].secret.expires_in',
      'organizations[0].applications[1].clients[1].secret.value',
      'organizations[0].applications[1].clients[2].redirect_uris',
      'organizations[0].default_login_methods[0]',
      'organizations[0].slug',
      'organizations[0].users[0].claims',
      'organizations[0].users[0].email',
      'organizations[0].users[0].password',
      'organizations[0].users[0].roles',
      'organizations[1].slug',
      'organizations[2].name',
      'version',
    ]);
    const messages = Object.fromEntries(err.details.map((d) => [d.path, d.message]));
    expect(messages['config']).toContain('"config" is not supported yet');
    expect(messages['organizations[0].applications[0].roles']).toContain('"roles" is not supported yet');
    expect(messages['organizations[0].users[0].password']).toContain('allow_passwords: true');
    expect(messages['organizations[0].applications[1].clients[0].redirect_uris[0]']).toContain('must use https');
    expect(messages['organizations[1].slug']).toContain('super-admin organization');
    expect(await snapshot()).toEqual(before);
  });

  it('reports cross-entry problems: duplicates and conflicting definitions of a shared application', async () => {
    const err = await failure(Promise.resolve().then(() => provisioning.validate({
      organizations: [
        { name: 'Dup', slug: 'dup-org', applications: [{ name: 'App', slug: 'dup-app', clients: [{ client_name: 'C', client_type: 'public', client_id: 'dup-id', redirect_uris: ['https://a.test/cb'] }] }], users: [{ email: 'a@x.test' }, { email: 'A@x.test' }] },
        { name: 'Dup', slug: 'dup-org', applications: [{ name: 'Other name', slug: 'dup-app', clients: [{ client_name: 'D', client_type: 'public', client_id: 'dup-id', redirect_uris: ['https://a.test/cb'] }] }] },
      ],
    })));
    expect(err.details.map((d) => d.path)).toEqual([
      'organizations[0].users[1].email',
      'organizations[1].applications[0].clients[0].client_id',
      'organizations[1].applications[0].name',
      'organizations[1].slug',
    ]);
  });

  it('accepts passwords only with allow_passwords: true', async () => {
    const file = (allow: boolean) => ({ ...(allow ? { allow_passwords: true } : {}), organizations: [{ name: 'Pw', slug: 'pw-org', users: [{ email: 'p@pw.test', password: 'long enough password' }] }] });
    const refused = await failure(Promise.resolve().then(() => provisioning.validate(file(false))));
    expect(refused.details).toEqual([{ path: 'organizations[0].users[0].password', message: expect.stringContaining('allow_passwords: true') }]);
    const refusedFalse = await failure(Promise.resolve().then(() => provisioning.validate({ ...file(true), allow_passwords: false })));
    expect(refusedFalse.details.map((d) => d.path)).toEqual(['organizations[0].users[0].password']);
    const ok = await provisioning.apply(OPERATOR, provisioning.validate(file(true)));
    expect(ok.entries.map((e) => e.action)).toEqual(['created', 'created']);
    expect(await users.findByEmail((await orgId('pw-org'))!, 'p@pw.test')).toMatchObject({ hasPassword: true });
  });

  it('rolls everything back when one entry is refused while applying', async () => {
    const before = await snapshot();
    const file = `
organizations:
  - name: Rollback
    slug: rb-org
    applications:
      - name: Rollback app
        slug: rb-app
        clients:
          - { client_name: First, client_type: public, redirect_uris: ["https://rb.test/cb"] }
          - { client_name: Stolen, client_type: public, client_id: full-portal-web, redirect_uris: ["https://rb.test/cb"] }
    users: [{ email: someone@rb.test }]
`;
    const err = await failure(run(file));
    expect(err).toMatchObject({ kind: 'unprocessable', code: 'import_failed' });
    expect(err.details).toEqual([
      { path: 'organizations[0].applications[0].clients[1]', type: 'client', slug: 'full-portal-web', error: 'client_id_taken', message: expect.any(String) },
    ]);
    expect(await orgId('rb-org')).toBeUndefined();
    expect(await db.maybeOne("SELECT id FROM applications WHERE slug = 'rb-app'")).toBeNull();
    expect(await snapshot()).toEqual(before);

    const typeChange = await failure(run(`
organizations:
  - name: Acme renamed
    slug: full-acme
    applications:
      - name: Portal full
        slug: full-portal
        clients: [{ client_name: Portal web, client_type: public, client_id: full-portal-web, redirect_uris: ["https://portal.acme.test/callback"] }]
`, 'overwrite'));
    expect(typeChange.details[0]).toMatchObject({ error: 'client_type_fixed', path: 'organizations[0].applications[0].clients[0]' });
  });
}

onEachDatabase('provisioning', provisioningSuite);
