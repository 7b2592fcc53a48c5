import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigrator, readMigrations, type Db } from '../../src/platform/db/index.js';
import { anonymizeUser } from '../../src/users/gdpr-repo.js';
import { createUserRepo, type UserRepo } from '../../src/users/repo.js';
import { onEachDatabase } from '../support/databases.js';

// Later migrations are left out: this file is about 010 alone.
const upTo010 = readMigrations().filter((m) => m.name <= '010_profile_updated_at');
const before010 = upTo010.filter((m) => m.name < '010');

interface Stamps {
  updated_at: Date;
  profile_updated_at: Date;
}

// Spec 70 §5: the `updated_at` claim (users.profile_updated_at) moves only when a claim changes.
onEachDatabase('migration 010: profile_updated_at', (open) => {
  let db: Db;
  let dispose: () => Promise<void>;
  let repo: UserRepo;
  let orgId: string;
  let userId: string;

  const stamps = () => db.one<Stamps>('SELECT updated_at, profile_updated_at FROM users WHERE id = $1', [userId]);
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db, before010).up();
    orgId = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Stamps', 'stamps') RETURNING id")).id;
    userId = (await db.one<{ id: string }>("INSERT INTO users (organization_id, email, given_name) VALUES ($1, 'ann@example.com', 'Ann') RETURNING id", [orgId])).id;
    repo = createUserRepo(db);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it("starts existing users from their updated_at, leaving updated_at as it was", async () => {
    const { updated_at: updatedAt } = await db.one<{ updated_at: Date }>('SELECT updated_at FROM users WHERE id = $1', [userId]);
    await pause();
    expect(await createMigrator(db, upTo010).up()).toEqual(['010_profile_updated_at']);
    expect(await stamps()).toEqual({ updated_at: updatedAt, profile_updated_at: updatedAt });
    expect((await repo.findById(orgId, userId))!.profileUpdatedAt).toBe(updatedAt.toISOString());
  });

  it('stays through sign-ins, failed attempts, status changes and writes of the same values', async () => {
    const start = await stamps();
    await pause();
    await repo.recordLogin(orgId, userId, new Date());
    await repo.reservePasswordCheck(orgId, userId, new Date(), 5);
    await repo.clearFailures(orgId, userId, false);
    await repo.transition(orgId, userId, ['active'], 'suspended');
    await repo.transition(orgId, userId, ['suspended'], 'active');
    await repo.update(orgId, userId, { givenName: 'Ann', passwordHash: 'x', passwordChangedAt: new Date() });
    const after = await stamps();
    expect(after.updated_at.getTime()).toBeGreaterThan(start.updated_at.getTime());
    expect(after.profile_updated_at).toEqual(start.profile_updated_at);
  });

  it('moves with every claim: profile, e-mail, phone, address', async () => {
    const changes = [
      { givenName: 'Anne' }, { nickname: 'annie' }, { birthdate: '1990-01-02' }, { emailVerified: true }, { email: 'anne@example.com' },
      { phoneNumber: '+33 1 23 45 67 89' }, { phoneNumberVerified: true }, { addressCountry: 'FR' }, { givenName: null },
    ];
    for (const change of changes) {
      const start = await stamps();
      await pause();
      await repo.update(orgId, userId, change);
      expect((await stamps()).profile_updated_at.getTime(), JSON.stringify(change)).toBeGreaterThan(start.profile_updated_at.getTime());
    }
    const start = await stamps();
    await pause();
    await anonymizeUser(db, orgId, userId);
    expect((await stamps()).profile_updated_at.getTime()).toBeGreaterThan(start.profile_updated_at.getTime());
  });

  it('rolls back and applies again', async () => {
    expect(await createMigrator(db, upTo010).down(1)).toEqual(['010_profile_updated_at']);
    expect(await db.maybeOne("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'profile_updated_at'")).toBeNull();
    expect(await createMigrator(db, upTo010).up()).toEqual(['010_profile_updated_at']);
    expect((await stamps()).profile_updated_at).toEqual((await stamps()).updated_at);
  });
});
