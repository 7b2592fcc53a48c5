import { describe, expect, it } from 'vitest';
import { createManualClock } from '../platform/clock.js';
import { createMemoryKv } from '../platform/kv/index.js';
import { createLog } from '../platform/log.js';
import { tenantAdapters } from './tenant-adapter.js';
import { runAsTenant } from './tenant-scope.js';
import type { OidcDeps, Organization } from './types.js';

const org = (id: string, slug: string) => ({ id, slug }) as Organization;
const A = org('0a7d6a2e-0000-4000-8000-00000000000a', 'alpha');
const B = org('0a7d6a2e-0000-4000-8000-00000000000b', 'beta');

/** Only what the ephemeral models and the Client lookup touch; nothing else is called. */
function deps(): OidcDeps {
  const clock = createManualClock();
  return {
    kv: createMemoryKv({ clock }),
    clock,
    log: createLog({ env: 'test', level: 'silent' }),
    db: {} as OidcDeps['db'],
    sessions: { mirrorDestroyed: () => undefined },
    clients: { findByClientId: async () => null },
    applications: {},
    registration: {},
  } as unknown as OidcDeps;
}

describe('the shared engine adapter', () => {
  it("routes every call to the adapter of the organization in scope: one organization's artifact is not found at another", async () => {
    const factory = tenantAdapters(deps());
    const sessions = factory('Session');
    const base = 'http://127.0.0.1';
    await runAsTenant(A, base, () => sessions.upsert('session-1', { uid: 'u1', accountId: 'ann' }, 60));
    expect(await runAsTenant(A, base, () => sessions.find('session-1'))).toMatchObject({ accountId: 'ann' });
    expect(await runAsTenant(B, base, () => sessions.find('session-1'))).toBeUndefined();
    expect(await runAsTenant(B, base, () => sessions.findByUid('u1'))).toBeUndefined();
    // B can neither overwrite nor destroy it.
    await expect(runAsTenant(B, base, () => sessions.upsert('session-1', { uid: 'u1', accountId: 'mallory' }, 60))).rejects.toThrow(/another organization/);
    await runAsTenant(B, base, () => sessions.destroy('session-1'));
    expect(await runAsTenant(A, base, () => sessions.find('session-1'))).toMatchObject({ accountId: 'ann' });
  });

  it('asks for clients of the organization in scope only', async () => {
    const seen: string[] = [];
    const d = deps();
    d.clients.findByClientId = (async (orgId: string) => (seen.push(orgId), null)) as OidcDeps['clients']['findByClientId'];
    const clients = tenantAdapters(d)('Client');
    await runAsTenant(B, 'http://127.0.0.1', () => clients.find('shared-looking-id'));
    expect(seen).toEqual([B.id]);
  });

  it('refuses to work outside an organization scope', async () => {
    const sessions = tenantAdapters(deps())('Session');
    await expect(Promise.resolve().then(() => sessions.find('session-1'))).rejects.toThrow(/outside an organization scope/);
  });
});
