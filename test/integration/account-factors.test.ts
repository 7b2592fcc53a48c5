import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { servicesFor } from '../support/domain.js';
import { softAuthenticator } from '../support/webauthn.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { accountActor, systemActor, type Actor } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import type { User } from '../../src/users/index.js';
import { totpCodeAt, TOTP_PERIOD_SECONDS, type TwoFactorPolicy } from '../../src/two-factor/index.js';

const SYSTEM = systemActor();
const ISSUER = 'https://auth.account-factors.test';
const FROM = { ip: '203.0.113.21', userAgent: 'vitest' };
const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
const tag = () => randomBytes(4).toString('hex');
const base32Decode = (s: string) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
};

/**
 * The account owner's own factor changes (spec 70 §2, account portal): turning two-factor authentication off
 * needs a fresh code of the factor, and neither that nor removing a passkey may leave a required policy
 * without a factor it accepts. Audited with the account actor (source `account`), the user notified.
 */
function accountFactorSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: MemoryKv;
  let svc: Services;
  let orgId: string;
  let ceremony = 0;
  const log = createLog({ env: 'test', level: 'silent' });

  const me = (u: User): Actor => accountActor(u, FROM, 'account');
  const setPolicy = (policy: TwoFactorPolicy) => svc.organizations.updateTwoFactorPolicy(SYSTEM, orgId, { twoFactorPolicy: policy });
  const newUser = () => svc.users.create(SYSTEM, orgId, { email: `acct-${tag()}@example.com`, password: 'Lantern-orbit-9317' });
  const events = async (userId: string, type: string) => (await svc.audit.list({ event: type, user: userId })).data;
  const changes = async (to: string) =>
    (await db.many<{ data: Record<string, unknown> }>("SELECT data FROM mail_outbox WHERE recipient = $1 AND template = 'two_factor_changed' ORDER BY created_at, id", [to])).map((m) => m.data.change);

  async function enrolTotp(u: User): Promise<{ secret: Buffer; recoveryCodes: string[] }> {
    const started = await svc.twoFactor.startTotpEnrolment(me(u), orgId, u.id);
    const secret = base32Decode(started.secret);
    const { recoveryCodes } = await svc.twoFactor.confirmTotpEnrolment(me(u), orgId, u.id, totpCodeAt(secret, clock.now()));
    clock.advance(STEP_MS);
    return { secret, recoveryCodes };
  }

  async function addPasskey(u: User) {
    const ceremonyId = `account-ceremony-${++ceremony}`;
    const options = await svc.passkeys.registrationOptions(me(u), orgId, u.id, { ceremonyId });
    return (await svc.passkeys.register(me(u), orgId, u.id, { ceremonyId, response: softAuthenticator(ISSUER).register(options), name: 'Key' })).passkey;
  }

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 5, 1, 9, 0, 10));
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log }, { ISSUER_BASE_URL: ISSUER });
    orgId = (await svc.organizations.create(SYSTEM, { name: 'Self Org', slug: `self-${tag()}` })).id;
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  it('turns the authenticator app off only with a fresh code of it, audited as the account and notified', async () => {
    await setPolicy('optional');
    const u = await newUser();
    const { secret } = await enrolTotp(u);
    const wrong = totpCodeAt(secret, clock.now()) === '000000' ? '111111' : '000000';
    await expectAppError(svc.twoFactor.disableOwn(me(u), orgId, u.id, { code: wrong, codeType: 'totp' }), 'invalid', 'invalid_two_factor_code');
    // An e-mailed code is not a proof of an authenticator app.
    await expectAppError(svc.twoFactor.disableOwn(me(u), orgId, u.id, { code: '123456', codeType: 'otp' }), 'invalid', 'invalid_two_factor_code');
    expect((await svc.twoFactor.status(orgId, u.id)).enabled).toBe(true);
    const [failed] = await events(u.id, '2fa.verify.failed');
    expect(failed).toMatchObject({ metadata: { method: 'totp', reason: 'invalid_code' } });

    // Another account, or an admin-less actor of another user, cannot use it.
    const other = await newUser();
    await expectAppError(svc.twoFactor.disableOwn(me(other), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' }), 'forbidden', 'forbidden');

    await svc.twoFactor.disableOwn(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' });
    expect(await svc.twoFactor.status(orgId, u.id)).toMatchObject({ enabled: false, method: null, totpConfigured: false, recoveryCodesRemaining: 0 });
    const [disabled] = await events(u.id, 'user.2fa.disabled');
    expect(disabled).toMatchObject({
      eventCategory: 'authentication', actorType: 'account', actorId: u.id, source: 'account',
      metadata: { previousMethod: 'totp', deletedTotp: 1, deletedRecoveryCodes: 10 },
    });
    expect(await changes(u.email)).toEqual(['totp_enrolled', 'disabled']);
    await expectAppError(svc.twoFactor.disableOwn(me(u), orgId, u.id, { code: '000000', codeType: 'totp' }), 'conflict', 'two_factor_not_enabled');
  });

  it('accepts a recovery code or an e-mailed code as the proof', async () => {
    await setPolicy('optional');
    const u = await newUser();
    const { recoveryCodes } = await enrolTotp(u);
    await svc.twoFactor.disableOwn(me(u), orgId, u.id, { code: recoveryCodes[3]!.toLowerCase(), codeType: 'recovery' });
    expect((await svc.twoFactor.status(orgId, u.id)).enabled).toBe(false);

    const e = await newUser();
    await svc.twoFactor.sendEmailOtp(me(e), orgId, e.id);
    const sent = async () => String((await db.one<{ data: { code: string } }>("SELECT data FROM mail_outbox WHERE recipient = $1 AND template = 'otp_code' ORDER BY created_at DESC, id DESC LIMIT 1", [e.email])).data.code);
    expect(await svc.twoFactor.verify(me(e), orgId, e.id, { code: await sent(), codeType: 'otp' })).toMatchObject({ ok: true, method: 'email' });
    clock.advance(1000);
    await svc.twoFactor.sendEmailOtp(me(e), orgId, e.id);
    await svc.twoFactor.disableOwn(me(e), orgId, e.id, { code: await sent(), codeType: 'otp' });
    expect((await svc.twoFactor.status(orgId, e.id)).enabled).toBe(false);
    expect(await changes(e.email)).toEqual(['email_enrolled', 'disabled']);
  });

  it('under a required policy keeps the last accepted factor: neither the app nor the last passkey goes alone', async () => {
    await setPolicy('required_any');
    const u = await newUser();
    const { secret } = await enrolTotp(u);
    await expectAppError(svc.twoFactor.disableOwn(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' }), 'forbidden', 'two_factor_required');
    // Refused before the code was looked at: the step is still unused.
    expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' })).toMatchObject({ ok: true });
    clock.advance(STEP_MS);

    // With a passkey beside it, the app may go; then the last passkey may not.
    const passkey = await addPasskey(u);
    await svc.twoFactor.disableOwn(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' });
    await expectAppError(svc.passkeys.remove(me(u), orgId, u.id, passkey.id), 'forbidden', 'two_factor_required');
    expect(await svc.passkeys.countForUser(orgId, u.id)).toBe(1);
    expect(await events(u.id, 'user.passkey.removed')).toHaveLength(0);

    // A second passkey: one of them may go. An admin's removal is not bound by this (a lost device).
    const second = await addPasskey(u);
    await svc.passkeys.remove(me(u), orgId, u.id, passkey.id);
    const [removed] = await events(u.id, 'user.passkey.removed');
    expect(removed).toMatchObject({ eventCategory: 'authentication', actorType: 'account', source: 'account', metadata: { passkeyId: passkey.id, remaining: 1 } });
    await svc.passkeys.remove(SYSTEM, orgId, u.id, second.id);
    // Queued at the same instant of the fixed clock: compared as a set of notices.
    expect((await changes(u.email)).sort()).toEqual(['disabled', 'passkey_added', 'passkey_added', 'passkey_removed', 'passkey_removed', 'totp_enrolled']);

    // Under `optional` the last passkey may go.
    await setPolicy('optional');
    const v = await newUser();
    const only = await addPasskey(v);
    await svc.passkeys.remove(me(v), orgId, v.id, only.id);
    expect(await svc.passkeys.countForUser(orgId, v.id)).toBe(0);
  });

  it('renames and removes only the owner\'s own passkeys; a malformed id is not found', async () => {
    await setPolicy('optional');
    const u = await newUser();
    const other = await newUser();
    const passkey = await addPasskey(u);
    expect(await svc.passkeys.rename(me(u), orgId, u.id, passkey.id, { name: 'Phone' })).toMatchObject({ name: 'Phone' });
    const [renamed] = await events(u.id, 'user.passkey.renamed');
    expect(renamed).toMatchObject({ eventCategory: 'authentication', actorType: 'account', metadata: { passkeyId: passkey.id } });
    await expectAppError(svc.passkeys.rename(me(other), orgId, other.id, passkey.id, { name: 'Mine' }), 'not_found', 'passkey_not_found');
    await expectAppError(svc.passkeys.remove(me(other), orgId, other.id, passkey.id), 'not_found', 'passkey_not_found');
    await expectAppError(svc.passkeys.rename(me(u), orgId, u.id, 'not-a-uuid', { name: 'x' }), 'not_found', 'passkey_not_found');
    await expectAppError(svc.passkeys.remove(me(u), orgId, u.id, 'not-a-uuid'), 'not_found', 'passkey_not_found');
    expect(await svc.passkeys.list(orgId, u.id)).toMatchObject([{ id: passkey.id, name: 'Phone' }]);
  });
}

onEachDatabase('account portal factor use cases (spec 70 §2)', accountFactorSuite);
