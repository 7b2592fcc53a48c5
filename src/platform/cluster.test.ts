import { describe, expect, it } from 'vitest';
import { loadConfig, MAX_WORKERS } from '../config/index.js';
import { DEFAULT_RESTART_POLICY, planWorkers, restartDelayMs } from './cluster.js';

const services = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/porta', REDIS_URL: 'redis://127.0.0.1:6379' };
const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'development', ...env }, { cwd: '/srv' });

describe('planWorkers', () => {
  it('defaults to one worker per available core in production, and to 1 in development and tests', () => {
    const production = { ...config(services), env: 'production' as const };
    expect(planWorkers(production, 8)).toEqual({ count: 8 });
    expect(planWorkers(production, 1)).toEqual({ count: 1 });
    expect(planWorkers(production, 500)).toEqual({ count: MAX_WORKERS });
    expect(planWorkers(config(services), 8)).toEqual({ count: 1 });
    expect(planWorkers({ ...config(services), env: 'test' }, 8)).toEqual({ count: 1 });
  });

  it('takes PORTA_WORKERS as set, more or fewer than the cores', () => {
    expect(planWorkers(config({ ...services, PORTA_WORKERS: '3' }), 8)).toEqual({ count: 3 });
    expect(planWorkers(config({ ...services, PORTA_WORKERS: '4' }), 2)).toEqual({ count: 4 });
    expect(planWorkers({ ...config({ ...services, PORTA_WORKERS: '1' }), env: 'production' }, 8)).toEqual({ count: 1 });
  });

  it('forces one worker with an embedded backend, warning only when PORTA_WORKERS asked for more', () => {
    const both = planWorkers(config({ PORTA_WORKERS: '2' }), 8);
    expect(both.count).toBe(1);
    expect(both.notice).toMatchObject({
      level: 'warn', event: 'cluster.single_process', fields: { workers: 1, requested: 2 },
      message: 'PORTA_WORKERS=2 is ignored: one worker, because the embedded database (PGlite) and the in-process store belong to one process',
    });
    const memoryStore = planWorkers(config({ DATABASE_URL: services.DATABASE_URL, PORTA_WORKERS: '4' }), 8);
    expect(memoryStore).toMatchObject({ count: 1, notice: { level: 'warn', message: 'PORTA_WORKERS=4 is ignored: one worker, because the in-process store belongs to one process' } });
    const embeddedDb = planWorkers(config({ REDIS_URL: services.REDIS_URL }), 8);
    expect(embeddedDb).toMatchObject({ count: 1, notice: { level: 'info', message: 'one worker: the embedded database (PGlite) belongs to one process' } });
    expect(planWorkers(config({ PORTA_WORKERS: '1' }), 8).notice?.level).toBe('info');
  });
});

describe('restartDelayMs', () => {
  it('doubles with each quick death in a row, up to the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => restartDelayMs(n));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(restartDelayMs(-1)).toBe(DEFAULT_RESTART_POLICY.baseDelayMs);
  });
});
