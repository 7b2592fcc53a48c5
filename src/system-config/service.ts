import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import { createSystemConfigRepo } from './repo.js';
import { createLocalConfigCache } from './local-cache.js';
import { configKeyNotFound, configReadonly, configTypeMismatch } from './errors.js';
import {
  MASK,
  coerceConfigValue,
  maskRecord,
  type ConfigChange,
  type ConfigDefinition,
  type ConfigEntry,
  type ConfigRecord,
} from './schema.js';

export interface SystemConfigServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  /** Writes each change's entry in the change's transaction. */
  audit: Pick<AuditService, 'record'>;
}

export function createSystemConfigService({ db, kv, clock, log, audit }: SystemConfigServiceDeps) {
  const repo = createSystemConfigRepo(db);
  const cache = createLocalConfigCache({ kv, clock, log, loadAll: () => repo.listAll() });

  async function record(key: string): Promise<ConfigRecord> {
    const found = (await cache.get()).records.get(key);
    if (!found) throw configKeyNotFound(key);
    return found;
  }

  async function typed<T>(key: string, expected: string, accepts: (r: ConfigRecord) => boolean): Promise<T> {
    const found = await record(key);
    if (!accepts(found)) throw configTypeMismatch(key, expected, found.valueType);
    return found.value as T;
  }

  async function changed(): Promise<void> {
    cache.clear();
    await cache.publishChange();
  }

  return {
    /** The stored value, typed per `value_type`, never masked. */
    get: async (key: string): Promise<unknown> => (await record(key)).value,

    /** A `number` or `duration` key. */
    getNumber: (key: string) =>
      typed<number>(key, 'number', (r) => (r.valueType === 'number' || r.valueType === 'duration') && typeof r.value === 'number'),

    /** A `duration` key, in seconds. */
    getDuration: (key: string) =>
      typed<number>(key, 'duration', (r) => r.valueType === 'duration' && typeof r.value === 'number'),

    getString: (key: string) => typed<string>(key, 'string', (r) => typeof r.value === 'string'),

    /** A string value, or null when the key is absent or empty (`super_admin_user_id` before `porta init`). */
    async findString(key: string): Promise<string | null> {
      const found = (await cache.get()).records.get(key);
      return typeof found?.value === 'string' && found.value !== '' ? found.value : null;
    },

    getBoolean: (key: string) => typed<boolean>(key, 'boolean', (r) => typeof r.value === 'boolean'),

    /** Every key's value, unmasked, as one frozen object from the process cache: for hot paths. */
    getMany: async (): Promise<Readonly<Record<string, unknown>>> => (await cache.get()).values,

    /**
     * The values of the last load without any I/O, for synchronous callers (oidc-provider `ttl.*`);
     * null until something has read through the cache, and briefly after a write in this process.
     */
    peekMany: (): Readonly<Record<string, unknown>> | null => cache.peek()?.values ?? null,

    /** For the admin API: sensitive values masked. */
    getEntry: async (key: string): Promise<ConfigEntry> => maskRecord(await record(key)),

    /** All entries by key, sensitive values masked. */
    list: async (): Promise<ConfigEntry[]> => [...(await cache.get()).records.values()].map(maskRecord),

    /**
     * Spec 20 §5.8 `PUT /config/:key`: needs `config:update`; read-only keys (`super_admin_user_id`) are
     * refused for everyone. `value` is checked against the key's type and bounds (strings are parsed,
     * as the API sends them). Audit `config.updated` {key, previous, value}, sensitive values as `"***"`.
     */
    async set(actor: Actor, key: string, value: unknown): Promise<ConfigChange> {
      const change = await db.transaction(async () => {
        authorize(actor, 'admin:config:update');
        const current = await repo.findByKey(key);
        if (!current) throw configKeyNotFound(key);
        if (current.isReadonly) throw configReadonly(key);
        const updated = await repo.updateValue(key, coerceConfigValue(current, value));
        if (!updated) throw configKeyNotFound(key);
        await changed();
        const shown = (v: unknown) => (current.isSensitive || updated.isSensitive ? MASK : v);
        const result: ConfigChange = { entry: maskRecord(updated), previous: shown(current.value) };
        await audit.record(actor, {
          eventType: 'config.updated',
          targetType: 'config',
          targetId: key,
          metadata: { key, previous: result.previous, value: shown(updated.value) },
        });
        return result;
      });
      log.info({ key }, 'config.updated');
      return change;
    },

    /**
     * Creates or replaces a key with its whole definition, read-only ones included: for bootstrap code
     * (`porta init` writing `super_admin_user_id`), never for admin input.
     */
    async define(key: string, definition: ConfigDefinition): Promise<ConfigEntry> {
      const bounds = { key, valueType: definition.valueType, minValue: definition.minValue ?? null, maxValue: definition.maxValue ?? null };
      const value = coerceConfigValue(bounds, definition.value);
      const saved = await repo.upsert(key, { ...definition, value });
      await changed();
      return maskRecord(saved);
    },
  };
}

export type SystemConfigService = ReturnType<typeof createSystemConfigService>;
