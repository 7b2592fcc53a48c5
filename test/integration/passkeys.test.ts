import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { servicesFor } from '../support/domain.js';
import { softAuthenticator, type SoftAuthenticator } from '../support/webauthn.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { accountActor, adminActor, systemActor, type Actor } from '../../src/actors/index.js';
import { PasskeyRejected, type SignInFailure } from '../../src/passkeys/index.js';
import type { Services } from '../../src/services.js';
import type { User } from '../../src/users/index.js';

const SYSTEM = systemActor();
const ISSUER = 'https://auth.passkeys.test';
const FROM = { ip: '203.0.113.9', userAgent: 'vitest' };
const tag = () => randomBytes(4).toString('hex');

/** Spec 70 §1 on both database engines: ceremonies, their checks, the list, GDPR, audit and notices. */
function passkeySuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: MemoryKv;
  let svc: Services;
  let orgA: string;
  let orgB: string;
  const log = createLog({ env: 'test', level: 'silent' });
  let ceremony = 0;
  const nextCeremony = () => `ceremony-${++ceremony}`;

  const me = (u: User): Actor => accountActor(u, FROM, 'login');
  const newUser = (orgId: string) => svc.users.create(SYSTEM, orgId, { email: `u-${tag()}@example.com`, password: 'Lantern-orbit-9317' });
  const events = async (orgId: string, type: string) => (await svc.audit.list({ event: type, org: orgId, limit: 500 })).data;
  const mails = (to: string) => db.many<{ data: Record<string, unknown> }>("SELECT data FROM mail_outbox WHERE recipient = $1 AND template = 'two_factor_changed' ORDER BY created_at", [to]);

  /** Registers a passkey for `u` on `auth` through the service, as the enrolment page would. */
  async function enrol(u: User, auth: SoftAuthenticator, bend: Parameters<SoftAuthenticator['register']>[1] = {}) {
    const ceremonyId = nextCeremony();
    const options = await svc.passkeys.registrationOptions(me(u), u.organizationId, u.id, { ceremonyId });
    return svc.passkeys.register(me(u), u.organizationId, u.id, { ceremonyId, response: auth.register(options, bend), name: 'Laptop' });
  }

  async function signIn(orgId: string, auth: SoftAuthenticator, bend: Parameters<SoftAuthenticator['assert']>[1] = {}, purpose: 'sign_in' | 'second_factor' = 'sign_in', userId?: string) {
    const ceremonyId = nextCeremony();
    const options = await svc.passkeys.authenticationOptions(orgId, { ceremonyId, purpose, userId });
    return svc.passkeys.authenticate(orgId, { ceremonyId, purpose, response: auth.assert(options, bend), from: FROM, clientId: 'rp-web' });
  }

  async function expectRejected(promise: Promise<unknown>, reason: SignInFailure) {
    const err = await promise.then(() => undefined, (e: unknown) => e);
    expect(err, `expected PasskeyRejected(${reason})`).toBeInstanceOf(PasskeyRejected);
    expect((err as PasskeyRejected).reason).toBe(reason);
  }

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 2, 1, 12, 0, 0));
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log }, { ISSUER_BASE_URL: ISSUER });
    orgA = (await svc.organizations.create(SYSTEM, { name: 'Passkey Org A', slug: `pk-a-${tag()}`, branding: { companyName: 'Alpha Co' } })).id;
    orgB = (await svc.organizations.create(SYSTEM, { name: 'Passkey Org B', slug: `pk-b-${tag()}` })).id;
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  it('registers a discoverable passkey for the host of ISSUER_BASE_URL, with a random user handle, and notifies the user', async () => {
    const u = await newUser(orgA);
    const ceremonyId = nextCeremony();
    const options = await svc.passkeys.registrationOptions(me(u), orgA, u.id, { ceremonyId });
    expect(options.rp).toEqual({ id: 'auth.passkeys.test', name: 'Alpha Co' });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' });
    expect(options.user.name).toBe(u.email);
    const handle = Buffer.from(options.user.id, 'base64url');
    expect(handle.length).toBe(32);
    expect(handle.toString('utf8')).not.toContain(u.email);
    expect(options.excludeCredentials).toEqual([]);

    const auth = softAuthenticator(ISSUER);
    const { passkey, isUserVerified } = await svc.passkeys.register(me(u), orgA, u.id, { ceremonyId, response: auth.register(options), name: ' Work laptop ' });
    expect(passkey).toMatchObject({ name: 'Work laptop', isBackedUp: false, transports: ['internal'], aaguid: '00000000-0000-0000-0000-000000000000', lastUsedAt: null });
    expect(isUserVerified).toBe(true);
    expect(await svc.passkeys.list(orgA, u.id)).toEqual([passkey]);
    expect((await svc.twoFactor.status(orgA, u.id)).passkeys).toBe(1);

    // The same user handle every time; the new passkey is excluded from a second registration.
    const again = await svc.passkeys.registrationOptions(me(u), orgA, u.id, { ceremonyId: nextCeremony() });
    expect(again.user.id).toBe(options.user.id);
    expect(again.excludeCredentials?.map((c) => c.id)).toEqual([auth.credentials[0]!.id.toString('base64url')]);

    const [registered] = await events(orgA, 'user.passkey.registered');
    expect(registered).toMatchObject({ userId: u.id, actorType: 'account', metadata: { passkeyId: passkey.id, backedUp: false, userVerified: true } });
    expect((await mails(u.email)).map((m) => m.data)).toEqual([expect.objectContaining({ change: 'passkey_added', passkeyName: 'Work laptop' })]);
  });

  it('refuses a registration answered for another challenge, origin or RP ID, and one reusing its challenge', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    for (const bend of [{ origin: 'https://evil.example' }, { challenge: 'AAAA' }, { rpId: 'evil.example' }]) {
      const ceremonyId = nextCeremony();
      const options = await svc.passkeys.registrationOptions(me(u), orgA, u.id, { ceremonyId });
      await expectAppError(svc.passkeys.register(me(u), orgA, u.id, { ceremonyId, response: auth.register(options, bend) }), 'invalid', 'passkey_registration_rejected');
    }
    const ceremonyId = nextCeremony();
    const options = await svc.passkeys.registrationOptions(me(u), orgA, u.id, { ceremonyId });
    const response = auth.register(options);
    await svc.passkeys.register(me(u), orgA, u.id, { ceremonyId, response });
    await expectAppError(svc.passkeys.register(me(u), orgA, u.id, { ceremonyId, response }), 'invalid', 'passkey_registration_rejected');
    expect(await svc.passkeys.countForUser(orgA, u.id)).toBe(1);
  });

  it('lets only the user (or Porta) register, and only while active', async () => {
    const u = await newUser(orgA);
    const other = await newUser(orgA);
    await expectAppError(svc.passkeys.registrationOptions(me(other), orgA, u.id, { ceremonyId: nextCeremony() }), 'forbidden', 'forbidden');
    await svc.users.setStatus(SYSTEM, orgA, u.id, 'suspend', {});
    await expectAppError(svc.passkeys.registrationOptions(me(u), orgA, u.id, { ceremonyId: nextCeremony() }), 'forbidden', 'user_inactive');
  });

  it('signs in usernameless: the credential names the user, the use is recorded and audited', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    await enrol(u, auth);
    clock.advance(60_000);
    const assertion = await signIn(orgA, auth);
    expect(assertion.user.id).toBe(u.id);
    expect(assertion).toMatchObject({ isUserVerified: true, isBackedUp: false });
    expect(assertion.passkey.lastUsedAt).toBe(new Date(clock.now()).toISOString());
    const login = (await events(orgA, 'user.login.passkey')).find((e) => e.userId === u.id);
    expect(login).toMatchObject({ actorType: 'account', source: 'login', metadata: { passkeyId: assertion.passkey.id, userVerified: true, backedUp: false, purpose: 'sign_in', clientId: 'rp-web' } });
    // Without user verification the assertion still verifies: the sign-in edge then asks for a second factor.
    expect((await signIn(orgA, auth, { isUserVerified: false })).isUserVerified).toBe(false);
  });

  it('uses each challenge once: a replayed response is refused and audited', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    await enrol(u, auth);
    const ceremonyId = nextCeremony();
    const options = await svc.passkeys.authenticationOptions(orgA, { ceremonyId, purpose: 'sign_in' });
    const response = auth.assert(options);
    await svc.passkeys.authenticate(orgA, { ceremonyId, purpose: 'sign_in', response, from: FROM });
    await expectRejected(svc.passkeys.authenticate(orgA, { ceremonyId, purpose: 'sign_in', response, from: FROM }), 'challenge_missing');
    // A challenge expires after 300 s.
    const late = nextCeremony();
    const lateOptions = await svc.passkeys.authenticationOptions(orgA, { ceremonyId: late, purpose: 'sign_in' });
    clock.advance(301_000);
    await expectRejected(svc.passkeys.authenticate(orgA, { ceremonyId: late, purpose: 'sign_in', response: auth.assert(lateOptions), from: FROM }), 'challenge_missing');
    // A challenge of one ceremony does not answer another's.
    const first = nextCeremony();
    const firstOptions = await svc.passkeys.authenticationOptions(orgA, { ceremonyId: first, purpose: 'sign_in' });
    const second = nextCeremony();
    await svc.passkeys.authenticationOptions(orgA, { ceremonyId: second, purpose: 'sign_in' });
    await expectRejected(svc.passkeys.authenticate(orgA, { ceremonyId: second, purpose: 'sign_in', response: auth.assert(firstOptions), from: FROM }), 'challenge_mismatch');
    const failures = await events(orgA, 'user.login.passkey.failed');
    expect(failures.some((e) => e.metadata?.reason === 'challenge_missing' && e.actorType === 'anonymous')).toBe(true);
  });

  it('accepts only its own origin and RP ID, exactly', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    await enrol(u, auth);
    await expectRejected(signIn(orgA, auth, { origin: 'https://auth.passkeys.test.evil.example' }), 'origin_mismatch');
    await expectRejected(signIn(orgA, auth, { origin: 'http://auth.passkeys.test' }), 'origin_mismatch');
    await expectRejected(signIn(orgA, auth, { origin: 'https://auth.passkeys.test:8443' }), 'origin_mismatch');
    await expectRejected(signIn(orgA, auth, { rpId: 'passkeys.test' }), 'rp_id_mismatch');
    await expectRejected(signIn(orgA, auth, { type: 'webauthn.create' }), 'wrong_ceremony');
    expect((await signIn(orgA, auth)).user.id).toBe(u.id);
  });

  it('never signs a passkey of one organization in at another', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    await enrol(u, auth);
    await expectRejected(signIn(orgB, auth), 'unknown_credential');
    const [failed] = await events(orgB, 'user.login.passkey.failed');
    expect(failed).toMatchObject({ organizationId: orgB, userId: null, metadata: { reason: 'unknown_credential' } });
    expect((await signIn(orgA, auth)).user.id).toBe(u.id);
  });

  it('refuses a signature counter that goes back, unless both are 0', async () => {
    const u = await newUser(orgA);
    const counting = softAuthenticator(ISSUER);
    await enrol(u, counting, { counter: 5 });
    expect((await signIn(orgA, counting)).user.id).toBe(u.id); // 6
    await expectRejected(signIn(orgA, counting, { counter: 6 }), 'counter_regression');
    await expectRejected(signIn(orgA, counting, { counter: 2 }), 'counter_regression');
    // A stored counter raised behind the authenticator's back (a clone used it) also stops the original.
    await db.query('UPDATE webauthn_credentials SET sign_count = 1000 WHERE user_id = $1', [u.id]);
    await expectRejected(signIn(orgA, counting), 'counter_regression');
    const [regression] = (await events(orgA, 'user.login.passkey.failed')).filter((e) => e.metadata?.reason === 'counter_regression');
    expect(regression).toMatchObject({ userId: u.id });

    const zero = softAuthenticator(ISSUER);
    const v = await newUser(orgA);
    await enrol(v, zero);
    for (let i = 0; i < 3; i++) expect((await signIn(orgA, zero)).user.id).toBe(v.id);
  });

  it('lets one of two concurrent assertions with the same counter through', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    await enrol(u, auth, { counter: 10 });
    const ceremonies = [nextCeremony(), nextCeremony()];
    const responses = await Promise.all(ceremonies.map(async (ceremonyId) => auth.assert(await svc.passkeys.authenticationOptions(orgA, { ceremonyId, purpose: 'sign_in' }), { counter: 11 })));
    const results = await Promise.allSettled(ceremonies.map((ceremonyId, i) => svc.passkeys.authenticate(orgA, { ceremonyId, purpose: 'sign_in', response: responses[i], from: FROM })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as PasskeyRejected).reason).toBe('counter_regression');
  });

  it('checks the user handle, the expected user of a second factor, user verification and the account status', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    await enrol(u, auth);
    const other = await newUser(orgA);
    const otherAuth = softAuthenticator(ISSUER);
    await enrol(other, otherAuth);
    await expectRejected(signIn(orgA, auth, { userHandle: otherAuth.credentials[0]!.userHandle }), 'user_handle_mismatch');
    await expectRejected(signIn(orgA, auth, { userHandle: null }), 'user_handle_mismatch');
    // As a second factor, only the user's own passkeys answer; the handle may be left out.
    const options = await svc.passkeys.authenticationOptions(orgA, { ceremonyId: 'sf', purpose: 'second_factor', userId: u.id });
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([auth.credentials[0]!.id.toString('base64url')]);
    await expectRejected(signIn(orgA, otherAuth, {}, 'second_factor', u.id), 'wrong_user');
    expect((await signIn(orgA, auth, { userHandle: null }, 'second_factor', u.id)).user.id).toBe(u.id);
    const [verified] = (await events(orgA, '2fa.verify.success')).filter((e) => e.userId === u.id);
    expect(verified).toMatchObject({ metadata: { method: 'passkey' } });
    // userVerification: required refuses an assertion without UV.
    const ceremonyId = nextCeremony();
    const required = await svc.passkeys.authenticationOptions(orgA, { ceremonyId, purpose: 'sign_in', userVerification: 'required' });
    await expectRejected(svc.passkeys.authenticate(orgA, { ceremonyId, purpose: 'sign_in', response: auth.assert(required, { isUserVerified: false }), from: FROM }), 'user_verification_missing');
    await svc.users.setStatus(SYSTEM, orgA, u.id, 'suspend', {});
    await expectRejected(signIn(orgA, auth), 'user_inactive');
  });

  it('lists, renames and removes passkeys with user:2fa, within the organization, notifying the user', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    const { passkey } = await enrol(u, auth);
    const auditor = adminActor({ userId: randomUUID(), organizationId: orgA, permissions: new Set(['admin:user:read']), isSuperAdmin: false });
    await expectAppError(svc.passkeys.remove(auditor, orgA, u.id, passkey.id), 'forbidden', 'forbidden');
    await expectAppError(svc.passkeys.remove(SYSTEM, orgB, u.id, passkey.id), 'not_found', 'user_not_found');
    await expectAppError(svc.passkeys.list(orgB, u.id), 'not_found', 'user_not_found');
    const other = await newUser(orgA);
    await expectAppError(svc.passkeys.remove(me(other), orgA, u.id, passkey.id), 'forbidden', 'forbidden');
    expect(await svc.passkeys.rename(me(u), orgA, u.id, passkey.id, { name: 'Phone' })).toMatchObject({ id: passkey.id, name: 'Phone' });
    await expectAppError(svc.passkeys.rename(me(u), orgA, u.id, passkey.id, { name: 'x'.repeat(101) }), 'invalid', 'validation_failed');

    await svc.passkeys.remove(SYSTEM, orgA, u.id, passkey.id);
    expect(await svc.passkeys.list(orgA, u.id)).toEqual([]);
    await expectAppError(svc.passkeys.remove(SYSTEM, orgA, u.id, passkey.id), 'not_found', 'passkey_not_found');
    const [removed] = (await events(orgA, 'user.passkey.removed')).filter((e) => e.userId === u.id);
    expect(removed).toMatchObject({ eventCategory: 'admin', metadata: { passkeyId: passkey.id, remaining: 0 } });
    expect((await mails(u.email)).map((m) => m.data.change)).toEqual(['passkey_added', 'passkey_removed']);
    await expectRejected(signIn(orgA, auth), 'unknown_credential');
  });

  it('exports passkeys without their keys and purges them with the user handle', async () => {
    const u = await newUser(orgA);
    const auth = softAuthenticator(ISSUER);
    const { passkey } = await enrol(u, auth);
    const document = await svc.gdpr.exportData(SYSTEM, orgA, u.id);
    expect(document.passkeys).toEqual([{ id: passkey.id, name: 'Laptop', aaguid: passkey.aaguid, backedUp: false, createdAt: passkey.createdAt, lastUsedAt: null }]);
    expect(JSON.stringify(document)).not.toContain(auth.credentials[0]!.id.toString('base64url'));
    const purged = await svc.gdpr.purge(SYSTEM, orgA, u.id);
    expect(purged.deletedTwoFactor).toBeGreaterThanOrEqual(1);
    expect(await svc.passkeys.countForUser(orgA, u.id)).toBe(0);
    expect((await db.one<{ h: string | null }>('SELECT encode(webauthn_user_handle, \'hex\') AS h FROM users WHERE id = $1', [u.id])).h).toBeNull();
  });
}

onEachDatabase('passkeys (spec 70 §1)', passkeySuite);

function randomUUID(): string {
  return globalThis.crypto.randomUUID();
}
