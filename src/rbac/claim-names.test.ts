import { describe, expect, it } from 'vitest';
import { createManualClock } from '../platform/clock.js';
import { createMemoryKv } from '../platform/kv/index.js';
import { createLog } from '../platform/log.js';
import { CLAIM_NAMES_VERSION_KEY, createClaimNamesCache } from './claim-names.js';
import { matchesClaimType } from './claims.js';
import { CLAIM_NAME, PERMISSION_SLUG, RESERVED_CLAIM_NAMES, ROLE_SLUG } from './schema.js';

function setup() {
  const clock = createManualClock();
  const kv = createMemoryKv({ clock });
  const log = createLog({ env: 'test', level: 'silent' });
  const stored = { names: ['department'], loads: 0 };
  const load = async () => {
    stored.loads += 1;
    return [...stored.names];
  };
  return { clock, kv, stored, a: createClaimNamesCache({ kv, clock, log, load }), b: createClaimNamesCache({ kv, clock, log, load }) };
}

describe('claim names cache', () => {
  it('serves from memory within a second and reloads at once after a local write', async () => {
    const { a, stored } = setup();
    const first = await a.read();
    expect(first.names).toEqual(['department']);
    await a.read();
    expect(stored.loads).toBe(1);
    stored.names = ['department', 'tier'];
    await a.invalidate();
    const next = await a.read();
    expect(next.names).toEqual(['department', 'tier']);
    expect(next.version).not.toBe(first.version);
  });

  it("notices another process's write through the shared counter after a second", async () => {
    const { a, b, clock, stored } = setup();
    await a.read();
    stored.names = ['region'];
    await b.invalidate();
    expect((await a.read()).names).toEqual(['department']);
    clock.advance(1_000);
    expect((await a.read()).names).toEqual(['region']);
  });

  it('reloads after 60 s even when the counter was lost', async () => {
    const { a, kv, clock, stored } = setup();
    await a.read();
    stored.names = [];
    await kv.delete(CLAIM_NAMES_VERSION_KEY);
    clock.advance(59_000);
    expect((await a.read()).names).toEqual(['department']);
    clock.advance(1_000);
    expect((await a.read()).names).toEqual([]);
  });
});

describe('rbac formats', () => {
  it.each([
    ['string', 'x', 1],
    ['number', 1.5, Number.NaN],
    ['number', -3, '3'],
    ['boolean', false, 'false'],
    ['json', [], null],
    ['json', { a: 1 }, 'x'],
  ] as const)('a %s claim takes %j and refuses %j', (type, good, bad) => {
    expect(matchesClaimType(type, good)).toBe(true);
    expect(matchesClaimType(type, bad)).toBe(false);
  });

  it('knows slugs and claim names', () => {
    expect(ROLE_SLUG.test('porta-super-admin')).toBe(true);
    expect(ROLE_SLUG.test('Admin')).toBe(false);
    expect(PERMISSION_SLUG.test('admin:org:read')).toBe(true);
    expect(PERMISSION_SLUG.test('a:b:c:d-e')).toBe(true);
    expect(PERMISSION_SLUG.test('org:read')).toBe(false);
    expect(PERMISSION_SLUG.test('a:b:')).toBe(false);
    expect(CLAIM_NAME.test('cost_center_2')).toBe(true);
    expect(CLAIM_NAME.test('_x')).toBe(false);
  });

  it('reserves the protocol, introspection and Porta claims a custom claim would shadow', () => {
    const required = 'sub iss aud exp iat nbf jti azp sid scope client_id cnf token_type active username auth_time nonce acr amr at_hash org_id org_slug roles permissions';
    for (const name of required.split(' ')) expect(RESERVED_CLAIM_NAMES.has(name), name).toBe(true);
    // Spec 20 §5.4 footnote 1 keeps its 38 names.
    for (const name of ['c_hash', 'name', 'email', 'email_verified', 'address', 'updated_at', 'phone_number_verified']) expect(RESERVED_CLAIM_NAMES.has(name), name).toBe(true);
    expect(RESERVED_CLAIM_NAMES.size).toBe(47);
    for (const name of RESERVED_CLAIM_NAMES) expect(CLAIM_NAME.test(name), name).toBe(true);
  });
});
