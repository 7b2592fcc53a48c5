import { describe, expect, it } from 'vitest';
import { createManualClock } from '../platform/clock.js';
import { createMemoryKv, type Kv } from '../platform/kv/index.js';
import { createLog } from '../platform/log.js';
import type { Actor } from '../actors/index.js';
import type { AuditEvent } from '../audit/index.js';
import { createRateLimitService } from './service.js';

const log = createLog({ env: 'test', level: 'silent' });
const settings = {
  getNumber: async () => 3,
  getDuration: async () => 60,
};

function setup(kv?: Kv) {
  const clock = createManualClock();
  const audited: { actor: Actor; event: AuditEvent }[] = [];
  const counted = { rejected: [] as string[], failedOpen: [] as string[] };
  const limiter = createRateLimitService({
    kv: kv ?? createMemoryKv({ clock }),
    log,
    settings,
    audit: { recordSafely: async (actor, event) => void audited.push({ actor, event }) },
    metrics: { rateLimited: (scope) => void counted.rejected.push(scope), rateLimitFailedOpen: (scope) => void counted.failedOpen.push(scope) },
  });
  return { clock, audited, counted, limiter };
}

describe('rate limits (fixed windows, spec 50 §7)', () => {
  it('allows max hits per window, then refuses with Retry-After, and audits only the first rejection', async () => {
    const { limiter, audited, counted } = setup();
    const seen = [];
    const from = { organizationId: 'org-1', ipAddress: '10.0.0.1', userAgent: 'curl', requestId: 'req-1' };
    for (let i = 0; i < 5; i++) seen.push(await limiter.hit('admin_write', '10.0.0.1', from));
    expect(seen.map((d) => [d.isAllowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0], [false, 0]]);
    expect(seen[3]!.retryAfter).toBe(60);
    // Every refusal is counted for the metrics; only the first of the window is audited.
    expect(counted.rejected).toEqual(['admin_write', 'admin_write']);
    expect(audited).toHaveLength(1);
    expect(audited[0]!.event).toMatchObject({ eventType: 'security.rate_limited', organizationId: 'org-1', metadata: { scope: 'admin_write', limit: 3, window: 60 } });
    expect(audited[0]!.actor).toMatchObject({ kind: 'anonymous', ip: '10.0.0.1', userAgent: 'curl', requestId: 'req-1' });
    // The limited key (here an IP, elsewhere an e-mail) is only ever recorded hashed.
    expect(JSON.stringify(audited[0]!.event)).not.toContain('10.0.0.1');
  });

  it('counts concurrent hits exactly: never more than max allowed', async () => {
    const { limiter } = setup();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.hit('token', '10.0.0.2')));
    expect(decisions.filter((d) => d.isAllowed)).toHaveLength(3);
  });

  it('keeps keys and scopes apart, opens a new window after expiry, and resets on demand', async () => {
    const { limiter, clock, audited } = setup();
    for (let i = 0; i < 3; i++) await limiter.hit('login', 'a');
    expect((await limiter.hit('login', 'a')).isAllowed).toBe(false);
    expect((await limiter.hit('login', 'b')).isAllowed).toBe(true);
    expect((await limiter.hit('token', 'a')).isAllowed).toBe(true);
    clock.advance(61_000);
    expect((await limiter.hit('login', 'a')).isAllowed).toBe(true);
    for (let i = 0; i < 3; i++) await limiter.hit('login', 'a');
    await limiter.reset('login', 'a');
    expect((await limiter.hit('login', 'a')).remaining).toBe(2);
    // One audit entry per key and window: the first window's, then the second's.
    expect(audited.map((a) => a.event.metadata?.scope)).toEqual(['login', 'login']);
  });

  it('reserve: successes given back with forgive do not count, failures do, even when concurrent', async () => {
    const { limiter, clock } = setup();
    const first = await Promise.all(Array.from({ length: 10 }, () => limiter.reserve('login_ip_failures', 'org|ip')));
    expect(first.filter((d) => d.isAllowed)).toHaveLength(3);
    clock.advance(61_000);
    // Two successes given back: two more attempts may run, still at most three may fail.
    for (let i = 0; i < 3; i++) expect((await limiter.reserve('login_ip_failures', 'org|ip')).isAllowed).toBe(true);
    await limiter.forgive('login_ip_failures', 'org|ip');
    await limiter.forgive('login_ip_failures', 'org|ip');
    expect((await limiter.reserve('login_ip_failures', 'org|ip')).isAllowed).toBe(true);
    expect((await limiter.reserve('login_ip_failures', 'org|ip')).isAllowed).toBe(true);
    expect((await limiter.reserve('login_ip_failures', 'org|ip'))).toMatchObject({ isAllowed: false, remaining: 0 });
    // Forgiveness ends with its window.
    clock.advance(61_000);
    await limiter.forgive('login_ip_failures', 'org|ip');
    for (let i = 0; i < 3; i++) expect((await limiter.reserve('login_ip_failures', 'org|ip')).isAllowed).toBe(true);
    expect((await limiter.reserve('login_ip_failures', 'org|ip')).isAllowed).toBe(false);
  });

  it('checks a limit with one store operation, and gives a success back with one', async () => {
    const calls: string[] = [];
    const memory = createMemoryKv();
    const counting = new Proxy(memory, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        return typeof value === 'function' ? (...args: unknown[]) => (calls.push(String(name)), (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
      },
    });
    const { limiter } = setup(counting);
    await limiter.reserve('token', '10.0.0.3');
    await limiter.hit('login', 'a');
    expect(calls).toEqual(['increment', 'increment']);
    calls.length = 0;
    await limiter.forgive('token', '10.0.0.3');
    expect(calls).toEqual(['decrement']);
  });

  it('fails open when the store is unavailable', async () => {
    const broken = { ...createMemoryKv(), increment: async () => Promise.reject(new Error('down')) } as Kv;
    const { limiter, counted } = setup(broken);
    const decision = await limiter.hit('login', 'a');
    expect(decision.isAllowed).toBe(true);
    expect(counted).toEqual({ rejected: [], failedOpen: ['login'] });
  });
});
