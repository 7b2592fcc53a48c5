import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accountActor, systemActor, type Actor } from '../../src/actors/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import type { Services } from '../../src/services.js';
import type { User } from '../../src/users/index.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { servicesFor } from '../support/domain.js';
import { expectAppError } from '../support/errors.js';

const SYSTEM = systemActor();
const FROM = { ip: '203.0.113.30', userAgent: 'vitest' };
const PASSWORD = 'Lantern-orbit-9317';
const tag = () => randomBytes(4).toString('hex');

/**
 * The account portal's use cases (spec 70 §2) on real stores: each acts only for the account actor on
 * its own account in its own organization, and audits with source `account` in the same transaction.
 */
function suite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let svc: Services;
  let orgA: { id: string; slug: string; name: string; companyName: null };
  let orgB: { id: string; slug: string; name: string; companyName: null };
  const log = createLog({ env: 'test', level: 'silent' });
  const me = (u: User): Actor => accountActor(u, FROM, 'account');
  const newUser = (orgId: string) => svc.users.create(SYSTEM, orgId, { email: `portal-${tag()}@example.com`, password: PASSWORD, givenName: 'Ada' });
  const track = (u: User, sessionId: string) =>
    db.query('INSERT INTO admin_sessions (session_id, user_id, organization_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)', [
      sessionId, u.id, u.organizationId, new Date(clock.now() + 3_600_000), new Date(clock.now()),
    ]);
  const outbox = async (to: string) => (await db.many<{ template: string }>('SELECT template FROM mail_outbox WHERE recipient = $1 ORDER BY created_at, id', [to])).map((m) => m.template);

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 5, 1, 9, 0, 0));
    svc = await servicesFor({ db, kv: createMemoryKv({ clock }), clock, log });
    const make = async () => {
      const o = await svc.organizations.create(SYSTEM, { name: `Portal ${tag()}`, slug: `portal-${tag()}` });
      return { id: o.id, slug: o.slug, name: o.name, companyName: null };
    };
    orgA = await make();
    orgB = await make();
  });
  afterAll(() => dispose?.());

  it('updates only the own profile, with the account actor, and refuses other actors and organizations', async () => {
    const u = await newUser(orgA.id);
    const updated = await svc.users.updateOwnProfile(me(u), orgA.id, { givenName: 'Augusta', familyName: 'King', locale: 'fr' });
    expect(updated).toMatchObject({ givenName: 'Augusta', familyName: 'King', locale: 'fr' });
    const [entry] = (await svc.audit.list({ event: 'user.updated', user: u.id })).data;
    expect(entry).toMatchObject({ actorType: 'account', source: 'account', actorId: u.id });
    expect(entry!.metadata).toEqual({ fields: ['givenName', 'familyName', 'locale'] });
    await expectAppError(svc.users.updateOwnProfile(me(u), orgB.id, { givenName: 'X', familyName: '', locale: '' }), 'forbidden', 'forbidden');
    await expectAppError(svc.users.updateOwnProfile(SYSTEM, orgA.id, { givenName: 'X', familyName: '', locale: '' }), 'forbidden', 'forbidden');
    await expectAppError(svc.users.updateOwnProfile(me(u), orgA.id, { givenName: 'X', familyName: '', locale: 'not a tag' }), 'invalid', 'validation_failed');
  });

  it('changes the password only with the current one; other sessions end, the kept one stays; the user is told', async () => {
    const u = await newUser(orgA.id);
    await track(u, `keep-${u.id}`);
    await track(u, `other-${u.id}`);
    expect(await svc.users.changeOwnPassword(me(u), orgA.id, { currentPassword: 'wrong-password', newPassword: 'Saffron-lantern-8812', confirmPassword: 'Saffron-lantern-8812' }, `keep-${u.id}`))
      .toEqual({ ok: false, reason: 'wrong_password' });
    expect(await svc.users.changeOwnPassword(me(u), orgA.id, { currentPassword: PASSWORD, newPassword: 'short', confirmPassword: 'short' }, null))
      .toEqual({ ok: false, reason: 'too_short' });
    const done = await svc.users.changeOwnPassword(me(u), orgA.id, { currentPassword: PASSWORD, newPassword: 'Saffron-lantern-8812', confirmPassword: 'Saffron-lantern-8812' }, `keep-${u.id}`);
    expect(done.ok).toBe(true);
    expect((await svc.sessions.find(`keep-${u.id}`))!.revokedAt).toBeNull();
    expect((await svc.sessions.find(`other-${u.id}`))!.revokedAt).not.toBeNull();
    expect(await svc.users.authenticate(orgA.id, u.email, 'Saffron-lantern-8812')).toMatchObject({ ok: true });
    expect(await outbox(u.email)).toEqual(['password_changed']);
    const [entry] = (await svc.audit.list({ event: 'user.password_changed', user: u.id })).data;
    expect(entry).toMatchObject({ source: 'account', metadata: { endedSessions: 1 } });
    expect((await svc.audit.list({ event: 'user.password_change_failed', user: u.id })).data).toHaveLength(1);
  });

  it("ends the user's own sessions only: another user's or organization's session is not found", async () => {
    const u = await newUser(orgA.id);
    const other = await newUser(orgA.id);
    const stranger = await newUser(orgB.id);
    for (const [who, id] of [[u, 'mine-1'], [u, 'mine-2'], [u, 'mine-3'], [other, 'theirs'], [stranger, 'foreign']] as const) await track(who, `${id}-${u.id}`);
    await expectAppError(svc.sessions.endOwnSession(me(u), orgA.id, `theirs-${u.id}`), 'not_found', 'session_not_found');
    await expectAppError(svc.sessions.endOwnSession(me(u), orgA.id, `foreign-${u.id}`), 'not_found', 'session_not_found');
    await expectAppError(svc.sessions.endOwnSession(me(stranger), orgA.id, `mine-1-${u.id}`), 'forbidden', 'forbidden');
    await svc.sessions.endOwnSession(me(u), orgA.id, `mine-1-${u.id}`);
    expect((await svc.sessions.listOwn(orgA.id, u.id)).map((s) => s.sessionId).sort()).toEqual([`mine-2-${u.id}`, `mine-3-${u.id}`]);
    expect(await svc.sessions.endOtherOwnSessions(me(u), orgA.id, `mine-3-${u.id}`)).toBe(1);
    expect((await svc.sessions.listOwn(orgA.id, u.id)).map((s) => s.sessionId)).toEqual([`mine-3-${u.id}`]);
    expect((await svc.sessions.find(`theirs-${u.id}`))!.revokedAt).toBeNull();
    expect((await svc.audit.list({ event: 'session.revoked', user: u.id })).data[0]).toMatchObject({ source: 'account', targetId: `mine-1-${u.id}` });
    await expectAppError(svc.sessions.revokeConnectedApp(me(u), orgA.id, 'no-such-client'), 'not_found', 'grant_not_found');
  });

  it('changes the e-mail address only through the link, refuses a taken address, and keeps links to their organization', async () => {
    const u = await newUser(orgA.id);
    const holder = await newUser(orgA.id);
    await expectAppError(svc.users.requestEmailChange(me(u), orgA, holder.email.toUpperCase()), 'conflict', 'user_email_taken');
    await expectAppError(svc.users.requestEmailChange(me(u), orgA, u.email), 'invalid', 'email_unchanged');
    expect(await outbox(u.email)).toEqual([]);
    const next = `next-${tag()}@example.com`;
    await svc.users.requestEmailChange(me(u), orgA, next);
    expect(await outbox(u.email)).toEqual(['email_change_notice']);
    const [mail] = await db.many<{ data: { link: string } }>("SELECT data FROM mail_outbox WHERE recipient = $1 AND template = 'email_change'", [next]);
    const token = mail!.data.link.split('/').at(-1)!;
    expect(mail!.data.link).toBe(`http://127.0.0.1:3000/${orgA.slug}/account/email/confirm/${token}`);
    expect((await svc.users.findById(orgA.id, u.id))!.email).toBe(u.email);
    expect(await svc.users.confirmEmailChange(orgB, token, FROM)).toEqual({ ok: false, reason: 'invalid_token' });
    const done = await svc.users.confirmEmailChange(orgA, token, FROM);
    expect(done).toMatchObject({ ok: true, user: { email: next, emailVerified: true } });
    expect(await svc.users.confirmEmailChange(orgA, token, FROM)).toEqual({ ok: false, reason: 'invalid_token' });

    // Taken between the request and the link: nothing changes.
    const racer = `race-${tag()}@example.com`;
    await svc.users.requestEmailChange(me(holder), orgA, racer);
    const [raced] = await db.many<{ data: { link: string } }>("SELECT data FROM mail_outbox WHERE recipient = $1 AND template = 'email_change'", [racer]);
    await svc.users.create(SYSTEM, orgA.id, { email: racer });
    expect(await svc.users.confirmEmailChange(orgA, raced!.data.link.split('/').at(-1)!, FROM)).toEqual({ ok: false, reason: 'email_taken' });
    expect((await svc.users.findById(orgA.id, holder.id))!.email).toBe(holder.email);
    const events = (await svc.audit.list({ user: u.id })).data.map((e) => e.eventType);
    expect(events).toEqual(expect.arrayContaining(['user.email_change.requested', 'user.email_changed']));
  });
}

onEachDatabase('account portal use cases', suite);
