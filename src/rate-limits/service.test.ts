import { describe, expect, it } from 'vitest';
import { createManualClock } from '../platform/clock.js';
import { createMemoryKv, type Kv } from '../platform/kv/index.js';
import { createLog } from '../platform/log.js';
import type { AuditEvent } from '../audit/index.js';
import { createRateLimitService } from './service.js';

const log = createLog({ env: 'test', level: 'info' });
const settings = {
  getNumber: async () => 3,
  getDuration: async () => 60,
};

function setup(kv?: Kv) {
  const clock = createManualClock();
  const audited: AuditEvent[] = [];
  const limiter = createRateLimitService({
    kv: kv ?? createMemoryKv({ clock }),
    log,
    settings,
    audit: { recordSafely: async (_actor, event) => void audited.push(event) },
  });
  return { clock, audited, limiter };
}

describe('rate limits (fixed windows, spec 50 §7)', () => {
  it('allows max hits per window, then refuses with Retry-After, and audits only the first rejection', async () => {
    const { limiter, audited } = setup();
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await limiter.hit('admin_write', '10.0.0.1'));
    expect(seen.map((d) => [d.isAllowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0], [false, 0]]);
    expect(seen[3]!.retryAfter).toBe(60);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ eventType: 'security.rate_limited', metadata: { scope: 'admin_write', limit: 3, window: 60 } });
    // The limited key (here an IP, elsewhere an e-mail) is only ever recorded hashed.
    expect(JSON.stringify(audited[0])).not.toContain('10.0.0.1');
  });

  it('keeps keys and scopes apart, opens a new window after expiry, and resets on demand', async () => {
    const { limiter, clock } = setup();
    for (let i = 0; i < 3; i++) await limiter.hit('login', 'a');
    expect((await limiter.hit('login', 'a')).isAllowed).toBe(false);
    expect((await limiter.hit('login', 'b')).isAllowed).toBe(true);
    expect((await limiter.hit('token', 'a')).isAllowed).toBe(true);
    clock.advance(61_000);
    expect((await limiter.hit('login', 'a')).isAllowed).toBe(true);
    for (let i = 0; i < 3; i++) await limiter.hit('login', 'a');
    await limiter.reset('login', 'a');
    expect((await limiter.hit('login', 'a')).remaining).toBe(2);
  });

  it('fails open when the store is unavailable', async () => {
    const broken = { ...createMemoryKv(), increment: async () => Promise.reject(new Error('down')) } as Kv;
    const { limiter } = setup(broken);
    const decision = await limiter.hit('login', 'a');
    expect(decision.isAllowed).toBe(true);
  });
});
